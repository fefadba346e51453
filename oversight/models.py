"""Supervision of IPT courses: flag thresholds, supervision notes, note reviews, fidelity."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic, User
from ipt_clinic.validation import SHORT_TEXT, TEXT, limited_text
from sessions.models import Course, TherapySession


class FlagThresholds(models.Model):
    """A clinic's thresholds for the caseload flags (defaults follow the IPT literature)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="flag_thresholds")
    problem_area_by_session = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(8)],
        help_text="A problem area should be agreed once this many sessions have taken place.",
    )
    min_improvement_percent = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="PHQ-9 improvement expected by mid-course, in percent of baseline.",
    )
    drift_sessions = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text="Middle-phase sessions off the chosen area before a course is flagged.",
    )
    termination_raised_before_end = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="The end should be raised by session N minus this many.",
    )
    unsigned_note_hours = models.PositiveSmallIntegerField(
        default=48, validators=[MinValueValidator(12), MaxValueValidator(240)]
    )
    gap_days = models.PositiveSmallIntegerField(
        "days without a session",
        default=14,
        validators=[MinValueValidator(7), MaxValueValidator(60)],
    )
    past_contract_grace_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text="Days after the last planned session before a course counts as overrunning.",
    )

    def __str__(self) -> str:
        return f"flag thresholds of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic_id: int) -> "FlagThresholds":
        """The clinic's thresholds; the defaults (unsaved) when it never changed them."""
        return cls.objects.filter(clinic_id=clinic_id).first() or cls(clinic_id=clinic_id)


class CourseFacts(models.Model):
    """A course's caseload facts, and for each flag the instant from which it is raised (see
    flags.py), stored so that the dashboard sorts, filters, counts and pages in SQL.

    Derived data, never entered: recomputed (store.refresh) by every service that changes
    what the facts are computed from, in its own transaction, and for a whole clinic when
    its thresholds change. One field per flag, named <code>_from; None: not raised.
    """

    course = models.OneToOneField(
        Course, primary_key=True, on_delete=models.CASCADE, related_name="facts"
    )

    # The facts (flags.FACTS).
    held_count = models.PositiveIntegerField(db_default=0)
    happened_count = models.PositiveIntegerField(db_default=0)
    unsigned_count = models.PositiveIntegerField(db_default=0)
    oldest_unsigned_start = models.DateTimeField(null=True)
    last_start = models.DateTimeField(null=True)
    next_start = models.DateTimeField(null=True)
    next_number = models.PositiveSmallIntegerField(null=True)
    last_planned_start = models.DateTimeField(null=True)
    last_happened_number = models.PositiveSmallIntegerField(null=True)
    last_raised_number = models.PositiveSmallIntegerField(null=True)
    drift_count = models.PositiveIntegerField(db_default=0)
    latest_session_phq9 = models.PositiveSmallIntegerField(null=True)
    session_phq9_count = models.PositiveIntegerField(db_default=0)
    missed_twice = models.BooleanField(db_default=False)
    opening_phq9 = models.PositiveSmallIntegerField(null=True)
    assessment_phq9 = models.PositiveSmallIntegerField(null=True)
    risk_open = models.BooleanField(db_default=False)
    risk_unrechecked = models.BooleanField(db_default=False)
    risk_missed = models.BooleanField(db_default=False)
    risk_alerted = models.BooleanField(db_default=False)
    risk_alert_waiting_since = models.DateTimeField(null=True)
    primary_area = models.CharField(max_length=32, blank=True, db_default="")
    focus_agreed_on = models.DateField(null=True)
    deficits_chosen = models.BooleanField(db_default=False)
    other_area_suggested = models.BooleanField(db_default=False)
    last_held_number = models.PositiveSmallIntegerField(null=True)
    last_held_start = models.DateTimeField(null=True)
    last_phq9_number = models.PositiveSmallIntegerField(null=True)
    last_gad7_number = models.PositiveSmallIntegerField(null=True)
    assessment_gad7 = models.PositiveSmallIntegerField(null=True)
    phq9_every = models.PositiveSmallIntegerField(db_default=1)
    gad7_every = models.PositiveSmallIntegerField(db_default=4)
    note_tasks_done = models.PositiveSmallIntegerField(db_default=0)
    inventory_started = models.BooleanField(db_default=False)

    phase_code = models.CharField(max_length=16, db_default="")

    # The instant from which each flag (flags.FLAGS) is raised.
    risk_open_from = models.DateTimeField(null=True)
    risk_not_rechecked_from = models.DateTimeField(null=True)
    missed_while_at_risk_from = models.DateTimeField(null=True)
    risk_alert_unanswered_from = models.DateTimeField(null=True)
    missed_in_row_from = models.DateTimeField(null=True)
    poor_improvement_from = models.DateTimeField(null=True)
    no_problem_area_from = models.DateTimeField(null=True)
    past_contract_from = models.DateTimeField(null=True)
    termination_not_raised_from = models.DateTimeField(null=True)
    drift_from = models.DateTimeField(null=True)
    deficits_questioned_from = models.DateTimeField(null=True)
    unsigned_notes_from = models.DateTimeField(null=True)
    gap_from = models.DateTimeField(null=True)
    initial_tasks_open_from = models.DateTimeField(null=True)
    measures_overdue_from = models.DateTimeField(null=True)
    # The earliest of them: the course carries a flag from then on. Derivable, but stored so
    # that "any flag" is one comparison on both databases (SQLite's MIN(a, b, ...) is NULL
    # when any is; PostgreSQL's LEAST skips NULLs).
    flagged_from = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "course facts"

    def __str__(self) -> str:
        return f"caseload facts of course {self.course_id}"


class SupervisionNote(models.Model):
    """A supervisor's note on a course, for the treating therapist to read."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="supervision_notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = limited_text(TEXT, "supervision note")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"supervision note on course {self.course_id}"


class CourseReview(models.Model):
    """A supervisor marked the course as reviewed (the latest mark counts)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"course {self.course_id} reviewed {self.reviewed_at:%Y-%m-%d}"


class NoteReview(models.Model):
    """A supervisor's review of a signed session note."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        NEEDS_REVISION = "needs_revision", "needs revision"
        CO_SIGNED = "co_signed", "co-signed"

    session = models.OneToOneField(
        TherapySession, on_delete=models.PROTECT, related_name="note_review"
    )
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    comment = limited_text(SHORT_TEXT, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="needs_revision") | ~Q(comment=""),
                name="note_review_revision_has_comment",
            )
        ]

    def __str__(self) -> str:
        return f"review of session {self.session_id}: {self.status}"


# The checklist of each phase (IPT.md: initial tasks, middle-phase work, termination).
FIDELITY_CHECKLIST = {
    "initial": [
        ("symptom_review", "Symptoms reviewed with a standard measure"),
        ("diagnosis_sick_role", "Diagnosis given and the sick role explained"),
        ("medication", "Need for medication considered"),
        ("inventory", "Interpersonal inventory built"),
        ("timeline", "Timeline of symptoms and life events drawn"),
        ("formulation", "Formulation presented and agreed"),
        ("problem_area", "Problem area chosen and goals set"),
    ],
    "middle": [
        ("since_last_met", "Opened with “how have things been since we last met?”"),
        ("mood_events", "Mood linked to interpersonal events"),
        ("problem_area_work", "Worked on the chosen problem area"),
        ("techniques", "IPT techniques used fittingly"),
    ],
    "termination": [
        ("gains", "Gains reviewed and credited to the patient"),
        ("feelings", "Feelings about ending discussed"),
        ("warning_signs", "Warning signs and a relapse plan agreed"),
        ("maintenance", "Maintenance recommendation made"),
    ],
}


class FidelityRating(models.Model):
    """How faithfully a session followed IPT, rated by the supervisor or by the therapist."""

    class By(models.TextChoices):
        SUPERVISOR = "supervisor", "supervisor"
        THERAPIST = "therapist", "therapist (self-rating)"

    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, related_name="fidelity_ratings"
    )
    rated_by = models.CharField(max_length=12, choices=By.choices)
    rater = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    checklist = models.JSONField(default=list, blank=True)
    adherence = models.PositiveSmallIntegerField(
        "overall adherence (1-5)", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = limited_text(SHORT_TEXT, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "rated_by"], name="fidelity_one_per_side"),
            models.CheckConstraint(
                condition=Q(adherence__gte=1, adherence__lte=5), name="fidelity_adherence_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"fidelity of session {self.session_id} by {self.rated_by}"
