"""The caseload flags: where a supervisor should look first.

Every flag is defined here once: a code, a title, an explanation a clinician understands, a
severity, and the SQL expression that computes it for any number of courses at once (an
annotation; never a query per course). Thresholds come from the clinic's FlagThresholds.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from inventory.models import Area, Formulation, ProblemArea, Relationship, SessionFocus
from sessions.models import Course, Measure, TherapySession

from .models import FlagThresholds


@dataclass(frozen=True)
class Flag:
    code: str
    title: str
    explanation: str  # may use {thresholds} fields, e.g. {t.gap_days}
    severity: int  # 3 = look today, 2 = this week, 1 = at the next supervision

    def explain(self, thresholds: FlagThresholds) -> str:
        return self.explanation.format(t=thresholds)


FLAGS = [
    Flag(
        "risk_unchecked",
        "Self-harm item not followed up",
        "PHQ-9 item 9 (thoughts of self-harm) was above 0 in a session whose note has no "
        "risk check. Item 9 always needs follow-up, whatever the total.",
        3,
    ),
    Flag(
        "missed_in_row",
        "Two missed sessions in a row",
        "The patient did not attend two consecutive sessions: engagement is at risk.",
        2,
    ),
    Flag(
        "poor_improvement",
        "Little improvement by mid-course",
        "Half the course has taken place and PHQ-9 has improved by less than "
        "{t.min_improvement_percent} % from baseline. Reconsider the focus or the treatment "
        "plan.",
        2,
    ),
    Flag(
        "no_problem_area",
        "No problem area agreed",
        "{t.problem_area_by_session} sessions have taken place and no problem area has been "
        "agreed with the patient in a formulation.",
        2,
    ),
    Flag(
        "past_contract",
        "Course past its contract",
        "The last planned session was more than {t.past_contract_grace_days} days ago and "
        "the course is still open: complete it, end it, or renegotiate the contract.",
        2,
    ),
    Flag(
        "termination_not_raised",
        "Termination not raised",
        "The course is at session N-{t.termination_raised_before_end} or later and no note "
        "records that the end of treatment was discussed with the patient.",
        2,
    ),
    Flag(
        "drift",
        "Sessions drifting from the focus",
        "{t.drift_sessions} or more middle-phase sessions worked on none of the chosen "
        "problem areas.",
        1,
    ),
    Flag(
        "deficits_questioned",
        "Interpersonal deficits while another area may apply",
        "Interpersonal deficits is chosen although the inventory has a deceased person or a "
        "relationship that changed around the onset of symptoms.",
        1,
    ),
    Flag(
        "unsigned_notes",
        "Notes unsigned",
        "A session took place more than {t.unsigned_note_hours} hours ago and its note is "
        "not signed.",
        1,
    ),
    Flag(
        "gap",
        "No recent session",
        "The course is active and no session has taken place in the last {t.gap_days} days.",
        1,
    ),
]
FLAGS_BY_CODE = {flag.code: flag for flag in FLAGS}


def _count(queryset) -> Coalesce:
    """A correlated COUNT(*) as a subquery (no GROUP BY on the outer query)."""
    counted = queryset.order_by().values("course").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _phq9_total(first: bool) -> Subquery:
    order = ("administered_on", "pk") if first else ("-administered_on", "-pk")
    return Subquery(
        Measure.objects.filter(course=OuterRef("pk"), kind=Measure.Kind.PHQ9)
        .order_by(*order)
        .values("total")[:1]
    )


def _flag(condition) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def with_progress(courses: QuerySet[Course]) -> QuerySet[Course]:
    """Where each course stands: sessions used, position, dates, PHQ-9, primary area."""
    sessions = TherapySession.objects.filter(course=OuterRef("pk"))
    happened = sessions.filter(attendance__in=["attended", "no_show"])
    return courses.annotate(
        held_count=_count(sessions.filter(attendance="attended")),
        happened_count=_count(happened),
        unsigned_count=_count(sessions.filter(attendance="attended", signed_at__isnull=True)),
        position=Least(F("happened_count") + 1, F("planned_sessions"), output_field=IntegerField()),
        last_start=Subquery(
            happened.order_by("-scheduled_start").values("scheduled_start")[:1],
            output_field=DateTimeField(),
        ),
        next_start=Subquery(
            sessions.filter(attendance="scheduled")
            .order_by("scheduled_start")
            .values("scheduled_start")[:1],
            output_field=DateTimeField(),
        ),
        phq9_baseline=_phq9_total(first=True),
        phq9_latest=_phq9_total(first=False),
        primary_area=Subquery(
            ProblemArea.objects.filter(course=OuterRef("pk"), rank=ProblemArea.Rank.PRIMARY).values(
                "area"
            )[:1]
        ),
        phase_code=Case(
            When(position__lte=3, then=Value("initial")),
            When(position__gt=F("planned_sessions") - 3, then=Value("termination")),
            default=Value("middle"),
        ),
    )


def with_flags(courses: QuerySet[Course], thresholds: FlagThresholds) -> QuerySet[Course]:
    """Annotate every flag as a boolean, plus `flag_severity`, for all courses in one query."""
    t = thresholds
    now = timezone.now()
    sessions = TherapySession.objects.filter(course=OuterRef("pk"))
    no_show = TherapySession.objects.filter(course=OuterRef("pk"), attendance="no_show")
    next_no_show = TherapySession.objects.filter(
        course=OuterRef("course"), number=OuterRef("number") + 1, attendance="no_show"
    )
    agreed = Formulation.objects.filter(course=OuterRef("pk"), agreed_on__isnull=False)
    primary = ProblemArea.objects.filter(course=OuterRef("pk"), rank=ProblemArea.Rank.PRIMARY)
    drift = SessionFocus.objects.filter(session__course=OuterRef("pk"), problem_area__isnull=True)
    drift_count = Coalesce(
        Subquery(
            drift.order_by().values("session__course").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    suggests_other = Relationship.objects.filter(
        Q(deceased=True) | Q(changed_around_onset=True),
        course=OuterRef("pk"),
        removed_at__isnull=True,
    )
    last_planned_start = Subquery(
        sessions.filter(number=OuterRef("planned_sessions")).values("scheduled_start")[:1],
        output_field=DateTimeField(),
    )
    annotated = with_progress(courses).annotate(
        drift_count=drift_count,
        last_planned_start=last_planned_start,
        # > 0 when the latest PHQ-9 is above (100 - threshold) % of baseline: integers only.
        improvement_shortfall=ExpressionWrapper(
            F("phq9_latest") * 100 - F("phq9_baseline") * (100 - t.min_improvement_percent),
            output_field=IntegerField(),
        ),
    )
    flags = {
        "risk_unchecked": _flag(
            Q(
                Exists(
                    Measure.objects.filter(
                        course=OuterRef("pk"),
                        kind=Measure.Kind.PHQ9,
                        item_9__gt=0,
                        session__risk_check_note="",
                    )
                )
            )
        ),
        "missed_in_row": _flag(Q(Exists(no_show.filter(Exists(next_no_show))))),
        "poor_improvement": _flag(
            Q(happened_count__gte=F("planned_sessions") / 2, phq9_baseline__gt=0)
            & Q(improvement_shortfall__gt=0)
        ),
        "no_problem_area": _flag(
            Q(happened_count__gte=t.problem_area_by_session)
            & ~(Q(Exists(primary)) & Q(Exists(agreed)))
        ),
        "past_contract": _flag(
            Q(last_planned_start__lt=now - timedelta(days=t.past_contract_grace_days))
        ),
        "termination_not_raised": _flag(
            Q(happened_count__gte=F("planned_sessions") - t.termination_raised_before_end)
            & ~Q(Exists(sessions.filter(termination_raised=True)))
        ),
        "drift": _flag(Q(drift_count__gte=t.drift_sessions)),
        "deficits_questioned": _flag(
            Q(
                Exists(
                    ProblemArea.objects.filter(
                        course=OuterRef("pk"), area=Area.INTERPERSONAL_DEFICITS
                    )
                )
            )
            & Q(Exists(suggests_other))
        ),
        "unsigned_notes": _flag(
            Q(
                Exists(
                    sessions.filter(
                        attendance="attended",
                        signed_at__isnull=True,
                        scheduled_start__lt=now - timedelta(hours=t.unsigned_note_hours),
                    )
                )
            )
        ),
        "gap": _flag(
            Q(status=Course.Status.ACTIVE) & Q(last_start__lt=now - timedelta(days=t.gap_days))
        ),
    }
    annotated = annotated.annotate(**{f"flag_{code}": expr for code, expr in flags.items()})
    severity = sum(
        (
            Case(
                When(**{f"flag_{flag.code}": True}, then=Value(10 ** (flag.severity - 1))),
                default=Value(0),
            )
            for flag in FLAGS
        ),
        start=Value(0),
    )
    flag_count = sum(
        (
            Case(When(**{f"flag_{flag.code}": True}, then=Value(1)), default=Value(0))
            for flag in FLAGS
        ),
        start=Value(0),
    )
    return annotated.annotate(flag_severity=severity, flag_count=flag_count)


def raised_flags(course) -> list[Flag]:
    """The flags an annotated course carries, most severe first."""
    raised = [flag for flag in FLAGS if getattr(course, f"flag_{flag.code}", False)]
    return sorted(raised, key=lambda flag: -flag.severity)
