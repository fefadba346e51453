"""The interpersonal inventory, the life-event timeline, the formulation with its problem
areas and their work, and the termination review: what makes a course IPT."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.models import User
from ipt_clinic.validation import LONG_TEXT, TEXT, date_outside, limited_text
from sessions.models import Course, TherapySession


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    def current(self) -> "RelationshipQuerySet":
        return self.filter(removed_at__isnull=True)


class Relationship(models.Model):
    """One important person in the patient's life: an entry of the interpersonal inventory."""

    class Ring(models.IntegerChoices):
        INNER = 1, "inner circle"
        MIDDLE = 2, "middle circle"
        OUTER = 3, "outer circle"

    class Contact(models.TextChoices):
        DAILY = "daily", "daily"
        WEEKLY = "weekly", "weekly"
        MONTHLY = "monthly", "monthly"
        RARELY = "rarely", "rarely"
        NONE = "none", "no contact"

    class Met(models.TextChoices):
        YES = "yes", "met"
        PARTLY = "partly", "partly met"
        NO = "no", "not met"
        UNKNOWN = "unknown", "not explored yet"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="relationships")
    name = models.CharField("name or initials", max_length=80)
    relation = models.CharField(max_length=80, help_text="Who they are: partner, mother, boss…")
    ring = models.PositiveSmallIntegerField(
        "closeness",
        choices=Ring.choices,
        default=Ring.MIDDLE,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    contact = models.CharField(
        "contact", max_length=8, choices=Contact.choices, default=Contact.WEEKLY
    )
    satisfying = limited_text(TEXT, "satisfying aspects", blank=True)
    unsatisfying = limited_text(TEXT, "unsatisfying aspects", blank=True)
    patient_expectations = limited_text(TEXT, "the patient's expectations", blank=True)
    other_expectations = limited_text(TEXT, "their expectations", blank=True)
    expectations_met = models.CharField(max_length=8, choices=Met.choices, default=Met.UNKNOWN)
    wished_change = limited_text(TEXT, "what the patient would like to change", blank=True)
    changed_around_onset = models.BooleanField(
        "changed around the onset of symptoms", default=False
    )
    deceased = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["ring", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ring__gte=1, ring__lte=3), name="relationship_ring_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class LifeEvent(models.Model):
    """A dated event on the timeline: an interpersonal event or a change in symptoms."""

    class Kind(models.TextChoices):
        EVENT = "event", "life event"
        SYMPTOMS = "symptoms", "symptom change"

    class Mood(models.TextChoices):
        WORSE = "worse", "mood worse"
        BETTER = "better", "mood better"
        NONE = "none", "no clear effect"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="life_events")
    occurred_on = models.DateField("when")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EVENT)
    description = models.CharField("what happened", max_length=300)
    mood_effect = models.CharField(max_length=8, choices=Mood.choices, default=Mood.NONE)
    relationship = models.ForeignKey(
        Relationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name="person involved",
    )
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["occurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.occurred_on}: {self.description[:40]}"

    def clean(self) -> None:
        if self.relationship_id and self.relationship.course_id != self.course_id:
            raise ValidationError({"relationship": "Choose a person from this inventory."})
        if self.course_id and (
            problem := date_in_life_outside(
                self.course.patient,
                self.occurred_on,
                rule="The timeline records what has happened in the patient's life:",
            )
        ):
            raise ValidationError({"occurred_on": problem})


def date_in_life_outside(patient, day, *, rule: str) -> str | None:
    """Refuse a date in the patient's life (an event, a death, a change of role) unless it
    falls from their birth, and not before 1900, until today."""
    today = timezone.localdate()
    return date_outside(day, patient.lifetime_start, today, rule=rule, today=today)


class Area(models.TextChoices):
    GRIEF = "grief", "grief"
    ROLE_DISPUTE = "role_dispute", "role dispute"
    ROLE_TRANSITION = "role_transition", "role transition"
    INTERPERSONAL_DEFICITS = "interpersonal_deficits", "interpersonal deficits"


class Formulation(models.Model):
    """The interpersonal formulation agreed with the patient: one per course."""

    course = models.OneToOneField(Course, on_delete=models.PROTECT, related_name="formulation")
    text = limited_text(
        LONG_TEXT,
        "formulation",
        help_text="How the depression links to the patient's relationships.",
    )
    rationale = limited_text(
        TEXT,
        "why this focus",
        blank=True,
        help_text="The people and events that point to the chosen problem area.",
    )
    linked_people = models.ManyToManyField(Relationship, blank=True, related_name="+")
    linked_events = models.ManyToManyField(LifeEvent, blank=True, related_name="+")
    agreed_on = models.DateField("agreed with the patient on", null=True, blank=True)
    no_other_area_confirmed = models.BooleanField(
        "no other problem area applies",
        default=False,
        help_text="Required for interpersonal deficits: no death, no dispute, no life change.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"formulation of course {self.course_id}"

    def clean(self) -> None:
        if self.course_id and (
            problem := self.course.work_date_outside(
                self.agreed_on, what="The agreement on the formulation"
            )
        ):
            raise ValidationError({"agreed_on": problem})


class ProblemArea(models.Model):
    """A chosen focus of the course: rank 1 is the primary area, rank 2 the one secondary.

    The rank makes the rules structural: unique per course and limited to 1 or 2, the
    database itself keeps a course to one primary area and two areas in all.
    """

    class Rank(models.IntegerChoices):
        PRIMARY = 1, "primary"
        SECONDARY = 2, "secondary"

    class Stage(models.TextChoices):
        RENEGOTIATION = "renegotiation", "renegotiation"
        IMPASSE = "impasse", "impasse"
        DISSOLUTION = "dissolution", "dissolution"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="problem_areas")
    area = models.CharField(max_length=24, choices=Area.choices)
    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.PRIMARY)

    # Grief
    deceased = models.ForeignKey(
        Relationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="the deceased",
    )
    date_of_death = models.DateField(null=True, blank=True)
    circumstances_of_death = limited_text(TEXT, blank=True)
    complicating_factors = limited_text(TEXT, "what makes the mourning complicated", blank=True)
    # Role dispute
    other_party = models.ForeignKey(
        Relationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="the other party",
    )
    dispute_issues = limited_text(TEXT, "the issues", blank=True)
    patient_expectations = limited_text(TEXT, "the patient's expectations", blank=True)
    other_expectations = limited_text(TEXT, "the other party's expectations", blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    options_weighed = limited_text(TEXT, "options weighed", blank=True)
    outcome = limited_text(TEXT, blank=True)
    # Role transition
    old_role = models.CharField(max_length=200, blank=True)
    new_role = models.CharField(max_length=200, blank=True)
    transition_date = models.DateField("when the change happened", null=True, blank=True)
    old_role_good = limited_text(TEXT, "good in the old role", blank=True)
    old_role_bad = limited_text(TEXT, "bad in the old role", blank=True)
    new_role_good = limited_text(TEXT, "good in the new role", blank=True)
    new_role_bad = limited_text(TEXT, "bad in the new role", blank=True)
    losses = limited_text(TEXT, blank=True)
    skills_needed = limited_text(TEXT, "skills needed", blank=True)
    supports_needed = limited_text(TEXT, "supports needed", blank=True)
    # Interpersonal deficits
    isolation_history = limited_text(TEXT, blank=True)
    relationships_to_develop = limited_text(TEXT, "relationships to revive or start", blank=True)
    skills_to_practise = limited_text(TEXT, "skills to practise", blank=True)
    plan_if_no_response = limited_text(TEXT, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(rank__in=[1, 2]), name="problem_area_rank_1_or_2"),
            models.UniqueConstraint(fields=["course", "rank"], name="problem_area_one_per_rank"),
            models.UniqueConstraint(fields=["course", "area"], name="problem_area_once_per_course"),
            models.CheckConstraint(
                condition=~Q(area="role_dispute") | Q(other_party__isnull=False),
                name="problem_area_dispute_has_other_party",
            ),
            models.CheckConstraint(
                condition=~Q(area="grief") | Q(deceased__isnull=False),
                name="problem_area_grief_has_deceased",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()} ({self.get_rank_display()})"

    @property
    def is_primary(self) -> bool:
        return self.rank == self.Rank.PRIMARY

    @property
    def person(self) -> Relationship | None:
        """The inventory person at the centre of the area, if it has one."""
        return (
            self.deceased
            if self.area == Area.GRIEF
            else (self.other_party if self.area == Area.ROLE_DISPUTE else None)
        )

    def clean(self) -> None:
        errors = {}
        if self.area == Area.GRIEF:
            if not self.deceased_id:
                errors["deceased"] = "Grief needs the deceased person from the inventory."
            elif not self.deceased.deceased or self.deceased.course_id != self.course_id:
                errors["deceased"] = "Choose a person of this inventory marked as deceased."
        if self.area == Area.ROLE_DISPUTE:
            if not self.other_party_id:
                errors["other_party"] = "A role dispute needs the other party from the inventory."
            elif self.other_party.course_id != self.course_id:
                errors["other_party"] = "Choose a person of this inventory."
        if self.course_id:
            patient = self.course.patient
            for name, rule in (
                ("date_of_death", "Enter a date of death in the patient's lifetime:"),
                ("transition_date", "Date the change of role in the patient's lifetime:"),
            ):
                if problem := date_in_life_outside(patient, getattr(self, name), rule=rule):
                    errors[name] = problem
        if errors:
            raise ValidationError(errors)


class DisputeStageChange(models.Model):
    """The dated history of a role dispute's stage."""

    problem_area = models.ForeignKey(
        ProblemArea, on_delete=models.PROTECT, related_name="stage_changes"
    )
    stage = models.CharField(max_length=16, choices=ProblemArea.Stage.choices)
    changed_on = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["changed_on", "created_at"]

    def __str__(self) -> str:
        return f"{self.stage} on {self.changed_on}"

    def clean(self) -> None:
        if self.problem_area_id and (
            problem := self.problem_area.course.work_date_outside(
                self.changed_on, what="A change of stage"
            )
        ):
            raise ValidationError({"changed_on": problem})


class Goal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        IN_PROGRESS = "in_progress", "in progress"
        ACHIEVED = "achieved", "achieved"
        MODIFIED = "modified", "modified"
        DROPPED = "dropped", "dropped"

    problem_area = models.ForeignKey(ProblemArea, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField("goal", max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class SessionFocus(models.Model):
    """What a middle-phase session worked on: one of the course's problem areas (and its
    goals), a risk or crisis (which is not drift), or none of the chosen areas (drift).
    Recorded before the note is signed; there is no default, so nothing is recorded unseen."""

    class Kind(models.TextChoices):
        AREA = "area", "a chosen problem area"
        RISK = "risk", "a risk or crisis session"
        DRIFT = "drift", "none of the chosen areas (drift)"

    session = models.OneToOneField(TherapySession, on_delete=models.PROTECT, related_name="focus")
    kind = models.CharField("the session worked on", max_length=8, choices=Kind.choices)
    problem_area = models.ForeignKey(
        ProblemArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="problem area worked on",
    )
    goals = models.ManyToManyField(Goal, blank=True, related_name="+", verbose_name="goals")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="area", problem_area__isnull=False)
                | Q(kind__in=["risk", "drift"], problem_area__isnull=True),
                name="focus_area_exactly_when_kind_is_area",
            )
        ]

    def __str__(self) -> str:
        return f"focus of session {self.session_id}"

    @property
    def is_drift(self) -> bool:
        return self.kind == self.Kind.DRIFT


class TerminationReview(models.Model):
    class Maintenance(models.TextChoices):
        NONE = "none", "none"
        BOOSTER = "booster", "booster sessions"
        CONTINUATION = "continuation", "continuation treatment"
        MONTHLY = "monthly", "monthly maintenance IPT (IPT-M)"

    IPOS_CHOICES = [
        (1, "1: not at all resolved"),
        (2, "2: a little resolved"),
        (3, "3: moderately resolved"),
        (4, "4: mostly resolved"),
        (5, "5: completely resolved"),
    ]
    ipos_validators = [MinValueValidator(1), MaxValueValidator(5)]

    course = models.OneToOneField(
        Course, on_delete=models.PROTECT, related_name="termination_review"
    )
    gains_reviewed = limited_text(TEXT, "gains reviewed with the patient")
    feelings_about_ending = limited_text(TEXT, "feelings about ending")
    # How far each problem area was resolved (IPOS), rated by the patient and the therapist:
    # the primary area always, the secondary when the course has one.
    ipos_patient = models.PositiveSmallIntegerField(
        "primary area resolved, rated by the patient (IPOS)",
        choices=IPOS_CHOICES,
        validators=ipos_validators,
    )
    ipos_therapist = models.PositiveSmallIntegerField(
        "primary area resolved, rated by the therapist (IPOS)",
        choices=IPOS_CHOICES,
        validators=ipos_validators,
    )
    secondary_ipos_patient = models.PositiveSmallIntegerField(
        "secondary area resolved, rated by the patient (IPOS)",
        choices=IPOS_CHOICES,
        validators=ipos_validators,
        null=True,
        blank=True,
    )
    secondary_ipos_therapist = models.PositiveSmallIntegerField(
        "secondary area resolved, rated by the therapist (IPOS)",
        choices=IPOS_CHOICES,
        validators=ipos_validators,
        null=True,
        blank=True,
    )
    warning_symptoms = limited_text(TEXT, "warning symptoms")
    relapse_plan = limited_text(TEXT, "relapse plan")
    maintenance = models.CharField(
        "maintenance decision", max_length=16, choices=Maintenance.choices
    )
    maintenance_frequency = models.CharField(
        max_length=120, blank=True, help_text="For monthly maintenance: how often, how long."
    )
    plan_if_not_improved = limited_text(TEXT, "plan if not improved", blank=True)
    reviewed_on = models.DateField(default=timezone.localdate)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ipos_patient__gte=1, ipos_patient__lte=5),
                name="review_ipos_patient_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(ipos_therapist__gte=1, ipos_therapist__lte=5),
                name="review_ipos_therapist_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(
                    secondary_ipos_patient__isnull=True, secondary_ipos_therapist__isnull=True
                )
                | Q(
                    # (a comparison with NULL passes a check: say "not null" outright)
                    secondary_ipos_patient__isnull=False,
                    secondary_ipos_therapist__isnull=False,
                    secondary_ipos_patient__gte=1,
                    secondary_ipos_patient__lte=5,
                    secondary_ipos_therapist__gte=1,
                    secondary_ipos_therapist__lte=5,
                ),
                name="review_secondary_ipos_both_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(maintenance="monthly") | ~Q(maintenance_frequency=""),
                name="review_monthly_has_frequency",
            ),
        ]

    def __str__(self) -> str:
        return f"termination review of course {self.course_id}"

    def clean(self) -> None:
        errors = {}
        if self.maintenance == self.Maintenance.MONTHLY and not self.maintenance_frequency.strip():
            errors["maintenance_frequency"] = "Say how often monthly maintenance takes place."
        if self.course_id:
            has_secondary = self.course.problem_areas.filter(
                rank=ProblemArea.Rank.SECONDARY
            ).exists()
            for name in ("secondary_ipos_patient", "secondary_ipos_therapist"):
                rated = getattr(self, name) is not None
                if has_secondary and not rated:
                    errors[name] = "Rate how far the secondary area was resolved."
                elif rated and not has_secondary:
                    errors[name] = "The course has no secondary area to rate."
        if errors:
            raise ValidationError(errors)
