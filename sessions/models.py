"""The IPT course: its contract, its sessions with their phase-specific notes, and the measures."""

import uuid
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ipt_clinic.accounts.models import User
from ipt_clinic.validation import (
    LONG_TEXT,
    SHORT_TEXT,
    TEXT,
    date_outside,
    limited_text,
    years_after,
)
from patients.models import Patient

from .phases import MAX_SESSIONS, MIN_SESSIONS, Phase, phase_for, should_raise_termination

planned_sessions_validators = [MinValueValidator(MIN_SESSIONS), MaxValueValidator(MAX_SESSIONS)]


class CourseQuerySet(models.QuerySet["Course"]):
    def open(self) -> "CourseQuerySet":
        return self.filter(status__in=Course.OPEN_STATUSES)


class Course(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "planned"
        ACTIVE = "active", "active"
        COMPLETED = "completed", "completed"
        ENDED_EARLY = "ended_early", "ended early"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    OPEN_STATUSES = (Status.PLANNED, Status.ACTIVE)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="courses")
    planned_sessions = models.PositiveSmallIntegerField(
        default=12,
        validators=planned_sessions_validators,
        help_text="The contract agreed with the patient: 12 to 16 weekly sessions.",
    )
    start_date = models.DateField(help_text="The first session is on or after this date.")
    usual_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    usual_time = models.TimeField(help_text="In the clinic's time zone.")
    session_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    indication = limited_text(
        SHORT_TEXT, help_text="Why IPT: the presenting problem and working diagnosis."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = limited_text(SHORT_TEXT, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=MIN_SESSIONS, planned_sessions__lte=MAX_SESSIONS),
                name="course_planned_sessions_12_to_16",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["planned", "active"]),
                name="course_one_open_per_patient",
                violation_error_message="This patient already has an open IPT course.",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended_early") | ~Q(end_reason=""),
                name="course_ended_early_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "active"]) | Q(ended_on__isnull=False),
                name="course_closed_has_end_date",
            ),
        ]
        indexes = [models.Index(fields=["therapist", "status"], name="course_therapist_status")]

    def __str__(self) -> str:
        return f"IPT course #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    # What access.is_treating and may_edit ask of a clinical object.
    @property
    def treating_therapist_id(self) -> int:
        return self.therapist_id

    @property
    def accepts_changes(self) -> bool:
        return self.is_open

    def phase_of(self, number: int) -> Phase:
        return phase_for(number, self.planned_sessions)

    def local_today(self) -> date:
        """Today in the clinic's time zone, where the course's sessions are booked."""
        zone = self.patient.clinic.zone if self.patient_id else None
        return timezone.localdate(timezone=zone)

    def work_date_outside(self, day: date | None, *, what: str) -> str | None:
        """Refuse a date recorded during the course (a contract change, the formulation agreed,
        a dispute's stage) unless it falls from a year before the start, when the assessment
        may have begun, until today."""
        today = self.local_today()
        return date_outside(
            day,
            years_after(self.start_date, -1),
            today,
            rule=f"{what} is dated from a year before the course's start until today:",
            today=today,
        )

    def clean(self) -> None:
        # Checked when the course is opened: a course of some years ago stays valid.
        if self._state.adding:
            today = self.local_today()
            start = date_outside(
                self.start_date,
                years_after(today, -1),
                years_after(today, 1),
                rule="A course starts within a year of today:",
                today=today,
            )
            if start:
                raise ValidationError({"start_date": start})


class CourseContractChange(models.Model):
    """A renegotiation of the number of sessions: when, from, to, why, agreed or not."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="contract_changes")
    changed_on = models.DateField(default=timezone.localdate)
    old_planned = models.PositiveSmallIntegerField(validators=planned_sessions_validators)
    new_planned = models.PositiveSmallIntegerField(validators=planned_sessions_validators)
    reason = limited_text(SHORT_TEXT)
    agreed_with_patient = models.BooleanField(default=False)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(old_planned=F("new_planned")), name="contract_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_planned} -> {self.new_planned} sessions on {self.changed_on}"

    def clean(self) -> None:
        if self.course_id and (
            problem := self.course.work_date_outside(self.changed_on, what="A contract change")
        ):
            raise ValidationError({"changed_on": problem})


class Technique(models.TextChoices):
    EXPLORATORY = "exploratory", "exploratory questioning"
    DIRECT_ELICITATION = "direct_elicitation", "direct elicitation"
    AFFECT = "affect", "encouragement of affect"
    CLARIFICATION = "clarification", "clarification"
    COMMUNICATION_ANALYSIS = "communication_analysis", "communication analysis"
    DECISION_ANALYSIS = "decision_analysis", "decision analysis"
    ROLE_PLAY = "role_play", "role play"
    THERAPEUTIC_RELATIONSHIP = "therapeutic_relationship", "use of the therapeutic relationship"


# The note fields each phase asks for, in the order the form shows them.
PHASE_NOTE_FIELDS = {
    Phase.INITIAL: [
        "symptom_review",
        "diagnosis_given",
        "sick_role_explained",
        "medication_considered",
        "contract_agreed",
        "inventory_progress",
        "formulation_notes",
    ],
    Phase.MIDDLE: [
        "since_last_met",
        "mood_and_events",
        "problem_area_work",
        "techniques",
        "termination_raised",
    ],
    Phase.TERMINATION: [
        "gains_reviewed",
        "feelings_about_ending",
        "warning_signs",
        "relapse_plan",
        "termination_raised",
    ],
}
COMMON_NOTE_FIELDS = ["homework", "progress_note", "risk_check_note"]
# The initial phase's tasks recorded in a note (sessions.initial_tasks): field -> the task.
NOTE_TASKS = {
    "diagnosis_given": "Diagnosis given",
    "sick_role_explained": "Sick role explained",
    "medication_considered": "Medication considered",
    "contract_agreed": "Treatment contract agreed",
}


def note_fields_for(number: int, planned: int, catch_up: Iterable[str] = ()) -> list[str]:
    """The note fields of session `number` of `planned`: its phase's and the common ones;
    "the end was discussed" only from session N-4 on, where it counts; and first, after the
    initial phase, the initial tasks in `catch_up` (those no held session has done yet)."""
    phase = phase_for(number, planned)
    fields = PHASE_NOTE_FIELDS[phase] + COMMON_NOTE_FIELDS
    if phase != Phase.INITIAL:
        fields = [name for name in NOTE_TASKS if name in set(catch_up)] + fields
    if should_raise_termination(number, planned):
        return fields
    return [name for name in fields if name != "termination_raised"]


class TherapySessionQuerySet(models.QuerySet["TherapySession"]):
    def held(self) -> "TherapySessionQuerySet":
        return self.filter(attendance=TherapySession.Attendance.ATTENDED)

    def happened(self) -> "TherapySessionQuerySet":
        """Attended or missed: the slot is used up."""
        return self.filter(
            attendance__in=[TherapySession.Attendance.ATTENDED, TherapySession.Attendance.NO_SHOW]
        )

    def upcoming(self) -> "TherapySessionQuerySet":
        return self.filter(attendance=TherapySession.Attendance.SCHEDULED)


class TherapySession(models.Model):
    """One numbered session of a course: appointment, attendance and the clinical note."""

    class Attendance(models.TextChoices):
        SCHEDULED = "scheduled", "scheduled"
        ATTENDED = "attended", "attended"
        CANCELLED = "cancelled", "cancelled"
        NO_SHOW = "no_show", "did not attend"

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", "the patient"
        THERAPIST = "therapist", "the therapist"
        CLINIC = "clinic", "the clinic"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSIONS)]
    )
    scheduled_start = models.DateTimeField()
    planned_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    attendance = models.CharField(
        max_length=12, choices=Attendance.choices, default=Attendance.SCHEDULED
    )
    actual_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(180)]
    )
    cancelled_by = models.CharField(max_length=12, choices=CancelledBy.choices, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)

    # Initial phase
    symptom_review = limited_text(TEXT, "symptom review", blank=True)
    diagnosis_given = models.BooleanField("diagnosis given to the patient", default=False)
    sick_role_explained = models.BooleanField("sick role explained", default=False)
    medication_considered = limited_text(TEXT, "medication considered", blank=True)
    contract_agreed = models.BooleanField(
        "treatment contract agreed with the patient",
        default=False,
        help_text="The number of sessions, their length and frequency, and what happens if one "
        "is missed.",
    )
    inventory_progress = limited_text(TEXT, "interpersonal inventory progress", blank=True)
    formulation_notes = limited_text(TEXT, "formulation", blank=True)
    # Middle phase
    since_last_met = limited_text(TEXT, "how have things been since we last met?", blank=True)
    mood_and_events = limited_text(TEXT, "mood linked to interpersonal events", blank=True)
    problem_area_work = limited_text(TEXT, "work on the problem area", blank=True)
    techniques = models.JSONField("techniques used", default=list, blank=True)
    termination_raised = models.BooleanField(
        "the end of treatment was discussed with the patient", default=False
    )
    # Termination phase
    gains_reviewed = limited_text(TEXT, "gains reviewed", blank=True)
    feelings_about_ending = limited_text(TEXT, "feelings about ending", blank=True)
    warning_signs = limited_text(TEXT, "warning signs", blank=True)
    relapse_plan = limited_text(TEXT, "relapse plan", blank=True)
    # Every phase
    homework = limited_text(TEXT, "between-session work", blank=True)
    progress_note = limited_text(LONG_TEXT, "progress note", blank=True)
    risk_check_note = limited_text(
        TEXT,
        "risk check",
        blank=True,
        help_text="Required before signing when PHQ-9 item 9 is above 0.",
    )

    # Who held the session (the course's therapist when its attendance was recorded) and who
    # wrote its note (the first to save it): after a caseload handover, neither is the
    # course's therapist, and the record says so.
    held_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note_author = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # The author, or a colleague who took the course over and countersigned the author's note
    # (is_countersigned): the note keeps its author either way.
    signed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=MAX_SESSIONS), name="session_number_range"
            ),
            models.CheckConstraint(
                condition=Q(attendance="attended", actual_minutes__isnull=False)
                | (~Q(attendance="attended") & Q(actual_minutes__isnull=True)),
                name="session_minutes_when_attended",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="session_signed_by_and_at",
            ),
        ]
        indexes = [
            models.Index(fields=["attendance", "scheduled_start"], name="session_due"),
        ]

    def __str__(self) -> str:
        return f"Session {self.number}"

    @property
    def phase(self) -> Phase:
        return phase_for(
            min(self.number, self.course.planned_sessions), self.course.planned_sessions
        )

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_countersigned(self) -> bool:
        """Signed by someone other than the note's author: reviewed and countersigned."""
        return self.is_signed and self.note_author_id not in (None, self.signed_by_id)

    def signs_as_author(self, user: User) -> bool:
        """Whether `user` signing now signs their own note (else: countersigns another's)."""
        return self.note_author_id in (None, user.pk)

    @property
    def treating_therapist_id(self) -> int:  # for access.is_treating and may_edit
        return self.course.therapist_id

    @property
    def accepts_changes(self) -> bool:
        return self.course.is_open

    @property
    def in_contract(self) -> bool:
        return self.number <= self.course.planned_sessions

    def technique_labels(self) -> list[str]:
        labels = dict(Technique.choices)
        return [labels.get(value, value) for value in self.techniques]

    def clean(self) -> None:
        unknown = set(self.techniques or []) - set(Technique.values)
        if unknown:
            raise ValidationError({"techniques": "Choose techniques from the list."})


class PrivateNote(models.Model):
    """A process note for its author alone: never shown to supervisors or admins, never
    exported, not part of the record. Kept in its own table so that no query for the record
    can pick it up by accident."""

    session = models.ForeignKey(TherapySession, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = limited_text(LONG_TEXT, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="private_note_per_author")
        ]

    def __str__(self) -> str:
        return f"private note on session {self.session_id}"


class WorkspaceDraft(models.Model):
    """What its author typed in a session's workspace and has not saved yet: the form's raw
    fields, saved by the page every few seconds (sessions/workspace.py). For its author alone,
    not part of the record (never shown to anyone else, never exported), and deleted once the
    workspace is saved."""

    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="workspace_draft_per_author")
        ]

    def __str__(self) -> str:
        return f"workspace draft of session {self.session_id}"


class Amendment(models.Model):
    """A correction to a signed note. The signed original stays as it was."""

    session = models.ForeignKey(TherapySession, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.CharField("why", max_length=300)
    text = limited_text(LONG_TEXT, "amendment")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"amendment of session {self.session_id}"


PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed; or the opposite, "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
]
GAD7_ITEMS = [
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
]
ANSWER_CHOICES = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
DIFFICULTY_CHOICES = [
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
]
PHQ9_BANDS = [
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (19, "moderately severe"),
    (27, "severe"),
]
GAD7_BANDS = [(4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")]

ITEM_FIELDS = [f"item_{n}" for n in range(1, 10)]
item_validators = [MinValueValidator(0), MaxValueValidator(3)]


class MeasureQuerySet(models.QuerySet["Measure"]):
    def phq9(self) -> "MeasureQuerySet":
        return self.filter(kind=Measure.Kind.PHQ9)


class Measure(models.Model):
    """A PHQ-9 or GAD-7 with every item's answer; the total is computed by the database."""

    class Kind(models.TextChoices):
        PHQ9 = "phq9", "PHQ-9"
        GAD7 = "gad7", "GAD-7"

    ITEM_COUNT = {Kind.PHQ9: 9, Kind.GAD7: 7}

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="measures")
    # Empty for the baseline taken when the course was opened.
    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, null=True, blank=True, related_name="measures"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    administered_on = models.DateField(default=timezone.localdate)
    item_1 = models.PositiveSmallIntegerField(validators=item_validators)
    item_2 = models.PositiveSmallIntegerField(validators=item_validators)
    item_3 = models.PositiveSmallIntegerField(validators=item_validators)
    item_4 = models.PositiveSmallIntegerField(validators=item_validators)
    item_5 = models.PositiveSmallIntegerField(validators=item_validators)
    item_6 = models.PositiveSmallIntegerField(validators=item_validators)
    item_7 = models.PositiveSmallIntegerField(validators=item_validators)
    item_8 = models.PositiveSmallIntegerField(null=True, blank=True, validators=item_validators)
    item_9 = models.PositiveSmallIntegerField(null=True, blank=True, validators=item_validators)
    difficulty = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=DIFFICULTY_CHOICES,
        help_text="How difficult have these problems made work, home or relationships? "
        "(PHQ-9 and GAD-7 both ask it.)",
    )
    total = models.GeneratedField(
        expression=F("item_1")
        + F("item_2")
        + F("item_3")
        + F("item_4")
        + F("item_5")
        + F("item_6")
        + F("item_7")
        + Coalesce("item_8", 0)
        + Coalesce("item_9", 0),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["administered_on", "pk"]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__lte": 3}), name=f"measure_{field}_0_to_3"
                )
                for field in ITEM_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True) | Q(difficulty__lte=3),
                name="measure_difficulty_0_to_3",
            ),
            models.CheckConstraint(
                condition=Q(kind="phq9", item_8__isnull=False, item_9__isnull=False)
                | Q(kind="gad7", item_8__isnull=True, item_9__isnull=True),
                name="measure_items_of_the_kind",
            ),
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=Q(session__isnull=False),
                name="measure_one_per_session_and_kind",
            ),
            models.UniqueConstraint(
                fields=["course", "kind"],
                condition=Q(session__isnull=True),
                name="measure_one_baseline_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.administered_on}"

    @property
    def items(self) -> list[int]:
        return [getattr(self, f) for f in ITEM_FIELDS[: self.ITEM_COUNT[self.kind]]]

    @property
    def computed_total(self) -> int:
        """The total before the row is saved (the database computes `total` on save)."""
        return sum(self.items)

    @property
    def band(self) -> str:
        return severity_band(self.kind, self.computed_total)

    @property
    def self_harm_positive(self) -> bool:
        """PHQ-9 item 9 above 0 always needs follow-up, whatever the total."""
        return self.kind == self.Kind.PHQ9 and (self.item_9 or 0) > 0


def severity_band(kind: str, total: int) -> str:
    bands = PHQ9_BANDS if kind == Measure.Kind.PHQ9 else GAD7_BANDS
    for upper, name in bands:
        if total <= upper:
            return name
    return bands[-1][1]


class ReminderQuerySet(models.QuerySet["Reminder"]):
    def open(self) -> "ReminderQuerySet":
        """Not yet sent and still meant to be: waiting, or on its way to the patient."""
        return self.filter(state__in=Reminder.OPEN_STATES)

    def due(self, now) -> "ReminderQuerySet":
        return self.filter(state=Reminder.State.PENDING, next_attempt_at__lte=now)

    def failed(self) -> "ReminderQuerySet":
        return self.filter(state=Reminder.State.FAILED)


class Reminder(models.Model):
    """One appointment reminder of one session. The rows are the truth; the broker only carries
    work: a reminder is sent when the dispatcher claims its row, never because a message with a
    far-off ETA was waiting somewhere.

    pending -> sending (claimed by the dispatcher) -> sent | failed | pending again (a
    transient failure, retried after a backoff). cancelled: the session no longer takes place.
    skipped: deliberately not sent (its time had passed at booking, no consent, no channel).
    """

    class Kind(models.TextChoices):
        FIRST = "first", "first reminder"
        SECOND = "second", "second reminder"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"
        SKIPPED = "skipped", "not sent"

    class Channel(models.TextChoices):
        EMAIL = "email", "email"
        SMS = "sms", "text message"

    OPEN_STATES = (State.PENDING, State.SENDING)

    session = models.ForeignKey(TherapySession, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    lead_hours = models.PositiveSmallIntegerField(
        help_text="Hours before the session, from the clinic's settings when it was planned."
    )
    # The instant it is meant to go out (UTC): the session's start minus lead_hours of elapsed
    # time, so a change to or from summer time neither skips nor doubles it.
    send_at = models.DateTimeField()
    # When the dispatcher may next claim it: send_at, or later after a transient failure.
    next_attempt_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The channel it went (or is to go) by; the patient's preference is read again at sending.
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Put on the queue (by the dispatcher or the sweep) at this time.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A send task holds the row until then; nobody else sends it meanwhile.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why it failed, was skipped or cancelled. Never the message or the address.
    reason = models.CharField(max_length=200, blank=True)
    # Opaque key for the opt-out link and the calendar entry: no database id leaves the app.
    public_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["send_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="reminder_one_per_kind"),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(claimed_at__isnull=False),
                name="reminder_sending_is_claimed",
            ),
        ]
        indexes = [
            # The dispatcher's query: due rows among the pending ones.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="reminder_due",
            ),
            # The sweep's query: rows on their way for too long.
            models.Index(
                fields=["claimed_at"],
                condition=Q(state="sending"),
                name="reminder_in_flight",
            ),
            models.Index(fields=["state", "-updated_at"], name="reminder_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of session {self.session_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES
