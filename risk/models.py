"""The risk pathway of a course (IPT.md, "Risk").

An episode opens when a PHQ-9 item 9 is above 0 (whatever its source) or when the therapist
notes risk, and stays open until a clinician closes it with a documented review: nothing
typed in a note makes it go quiet. While it is open, each session held needs a risk
assessment of its own before its note is signed (the re-check), and the therapist's
supervisor, or the clinic's duty clinician, must acknowledge an alert. Nothing here is
deleted: an episode, its assessments, its safety plan and its alerts are the risk history.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.models import User
from ipt_clinic.validation import SHORT_TEXT, TEXT, limited_text
from sessions.models import Course, Measure, TherapySession


class RiskEpisodeQuerySet(models.QuerySet["RiskEpisode"]):
    def open(self) -> "RiskEpisodeQuerySet":
        return self.filter(closed_at__isnull=True)


class RiskEpisode(models.Model):
    class Source(models.TextChoices):
        ITEM_9 = "item_9", "PHQ-9 item 9 above 0"
        NOTED = "noted", "risk noted by the therapist"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="risk_episodes")
    source = models.CharField(max_length=8, choices=Source.choices)
    # The PHQ-9 that opened it (item 9 above 0), or the session where risk was noted.
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = limited_text(SHORT_TEXT, "what was noticed", blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_review = limited_text(TEXT, "review that closes the episode", blank=True)

    objects = RiskEpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(closed_at__isnull=True),
                name="risk_one_open_episode_per_course",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | (Q(closed_by__isnull=False) & ~Q(closing_review="")),
                name="risk_closed_with_a_review",
            ),
        ]

    def __str__(self) -> str:
        return f"risk episode {self.pk} of course {self.course_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def first_number(self) -> int | None:
        """The first session it covers by number: the one it opened at; session 1 when the
        assessment's PHQ-9 opened it (before any session); None when it opened between
        sessions (it then covers those booked after it opened)."""
        if self.session_id is not None:
            return self.session.number
        return 1 if self.source == self.Source.ITEM_9 else None

    def covers(self, session: TherapySession) -> bool:
        """Whether the session comes since the episode opened. Each such session held while
        the episode is open needs its own assessment (the re-check); one whose note was
        signed before the episode opened has nothing left to re-check."""
        if session.signed_at is not None and session.signed_at <= self.opened_at:
            return False
        first = self.first_number
        if first is not None and session.number >= first:
            return True
        return session.scheduled_start > self.opened_at

    # What access.is_treating and may_edit ask of a clinical object.
    @property
    def treating_therapist_id(self) -> int:
        return self.course.therapist_id

    @property
    def accepts_changes(self) -> bool:
        return self.is_open and self.course.is_open


class RiskAssessment(models.Model):
    """A structured risk assessment: at the opening, and at each session held while the
    episode is open (the re-check)."""

    class Level(models.TextChoices):
        LOW = "low", "low"
        MODERATE = "moderate", "moderate"
        HIGH = "high", "high"

    episode = models.ForeignKey(RiskEpisode, on_delete=models.PROTECT, related_name="assessments")
    session = models.ForeignKey(
        TherapySession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_assessments",
        help_text="The session it was made at; none: at the assessment or between sessions.",
    )
    ideation = limited_text(SHORT_TEXT, "thoughts of self-harm or suicide")
    plan = limited_text(SHORT_TEXT, "plan")
    intent = limited_text(SHORT_TEXT, "intent")
    means = limited_text(SHORT_TEXT, "access to means")
    history = limited_text(SHORT_TEXT, "history of self-harm or attempts")
    protective_factors = limited_text(SHORT_TEXT, "protective factors")
    level = models.CharField("risk level", max_length=8, choices=Level.choices)
    assessed_at = models.DateTimeField(default=timezone.now)
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "session"], name="risk_one_assessment_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"risk assessment {self.pk} ({self.level})"


SAFETY_PLAN_STEPS = [
    (
        "warning_signs",
        "Warning signs",
        "Thoughts, moods, situations that tell a crisis may be near.",
    ),
    (
        "own_coping",
        "Things I can do on my own",
        "To take my mind off things, without contacting anyone.",
    ),
    ("people_and_places", "People and places that distract me", ""),
    ("people_to_ask", "People I can ask for help", "Names and phone numbers."),
    (
        "professionals",
        "Professionals and crisis lines",
        "The clinic's own numbers and crisis lines are printed with the plan.",
    ),
    ("safer_surroundings", "Making my surroundings safer", "What to remove or lock away, and how."),
]


class SafetyPlan(models.Model):
    """The safety plan of an episode, in the usual six steps, written with the patient and
    printable for them."""

    episode = models.OneToOneField(
        RiskEpisode, on_delete=models.PROTECT, related_name="safety_plan"
    )
    warning_signs = limited_text(SHORT_TEXT, "warning signs")
    own_coping = limited_text(SHORT_TEXT, "things I can do on my own")
    people_and_places = limited_text(SHORT_TEXT, "people and places that distract me")
    people_to_ask = limited_text(SHORT_TEXT, "people I can ask for help")
    professionals = limited_text(SHORT_TEXT, "professionals and crisis lines", blank=True)
    safer_surroundings = limited_text(SHORT_TEXT, "making my surroundings safer")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"safety plan of risk episode {self.episode_id}"


class RiskAlert(models.Model):
    """An alert to the therapist's supervisor, or the clinic's duty clinician when the
    therapist has none, which they must acknowledge."""

    episode = models.ForeignKey(RiskEpisode, on_delete=models.PROTECT, related_name="alerts")
    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="risk_alerts")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "recipient"], name="risk_one_alert_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"risk alert {self.pk} to {self.recipient_id}"
