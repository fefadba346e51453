"""The caseload flags: where a supervisor should look first.

Every flag is defined here once: a code, a title, an explanation a clinician understands, a
severity, and its rule, a plain function of the course's facts. Thresholds come from the
clinic's FlagThresholds.

The facts (sessions held, the last and next session, PHQ-9 at baseline and now, the agreed
focus...) are computed by the database for any number of courses at once, never a query per
course, and each fact once: aggregates over one join with the sessions (and their PHQ-9 and
focus, at most one of each per session), and joins with what a course has at most one of
(its opening PHQ-9, primary area, formulation), in two queries (fact_rows). The two
subqueries left run only for the few courses a cheap aggregate lets through. The rules then
run in Python on the fetched facts. A new flag is one Flag here, and its tests; a new fact
is one annotation, one CourseFacts column, and, if it reads a table no fact read before, a
course_changed call in the services that write that table (tests/oversight/test_store.py
lists them).

A rule answers with the instant from which its flag is raised (None: not raised), not with
yes or no, so that the answer stays true as time passes: a flag that depends on the record
only is raised from EVER; one that depends on the clock too (no recent session, past the
contract, notes unsigned) from a date of the record plus the clinic's threshold. These
instants are stored per course (store.py), recomputed by the services that change the
record, and compared with now in SQL.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import Area, ProblemArea, Relationship, SessionFocus
from risk.models import RiskAlert, RiskAssessment, RiskEpisode
from sessions.initial_tasks import DUE_BY_SESSION
from sessions.measure_schedule import is_overdue
from sessions.models import NOTE_TASKS, Course, Measure, TherapySession
from sessions.phases import (
    INITIAL_SESSIONS,
    RAISE_TERMINATION_BEFORE,
    TERMINATION_SESSIONS,
    phase_for,
)
from sessions.progress import position_of

from .models import FlagThresholds

Attendance = TherapySession.Attendance
HAPPENED = [Attendance.ATTENDED, Attendance.NO_SHOW]


@dataclass(frozen=True)
class Flag:
    code: str
    title: str
    explanation: str  # may use {thresholds} fields, e.g. {t.gap_days}
    severity: int  # 3 = look today, 2 = this week, 1 = at the next supervision
    # rule(facts, thresholds): the instant from which the flag is raised, None if it is not.
    # The facts: a course or FactRow with the FACTS and what mark_flags derives from them.
    rule: Callable[[Any, FlagThresholds], datetime | None]

    def explain(self, thresholds: FlagThresholds) -> str:
        return self.explanation.format(t=thresholds)

    def raised(self, facts, thresholds: FlagThresholds, now: datetime) -> bool:
        since = self.rule(facts, thresholds)
        return since is not None and since < now


# "Raised whatever the time": the rule depends on the record only.
EVER = datetime(1970, 1, 1, tzinfo=UTC)


def _ever(condition: bool) -> datetime | None:
    return EVER if condition else None


def _after(moment: datetime | None, delay: timedelta) -> datetime | None:
    return moment + delay if moment is not None else None


def _poor_improvement(c, t: FlagThresholds) -> bool:
    """Half the planned sessions held (missed ones do not count), a PHQ-9 taken after the
    baseline, and the latest above (100 - threshold) % of the baseline (in integers)."""
    return (
        c.held_count >= c.planned_sessions // 2
        and bool(c.phq9_baseline)
        and c.phq9_latest is not None
        and c.phq9_latest * 100 > c.phq9_baseline * (100 - t.min_improvement_percent)
    )


def _termination_not_raised(c, t: FlagThresholds) -> bool:
    """Session N - threshold has passed (by its number: a session held or missed at or after
    it), and no note from session N - 4 on records that the end was discussed (an earlier
    one does not count: the end is raised when it is near)."""
    due_at = c.planned_sessions - t.termination_raised_before_end
    counts_from = c.planned_sessions - RAISE_TERMINATION_BEFORE
    return (c.last_happened_number or 0) >= due_at and (c.last_raised_number or 0) < counts_from


def _initial_tasks_open(c) -> bool:
    """Session DUE_BY_SESSION has passed (by its number, held or missed) and an initial task
    is not done: one of the note's, the inventory, or the formulation agreed."""
    return (c.last_happened_number or 0) >= DUE_BY_SESSION and not (
        c.note_tasks_done == len(NOTE_TASKS) and c.inventory_started and c.focus_agreed_on
    )


def _measures_overdue_since(c, t: FlagThresholds) -> datetime | None:
    """A measure due at the latest session held was not taken there (sessions/measure_schedule.py),
    raised once the note's grace period (the unsigned-notes threshold) has passed."""
    assessment = {Measure.Kind.PHQ9: c.assessment_phq9, Measure.Kind.GAD7: c.assessment_gad7}
    last = {Measure.Kind.PHQ9: c.last_phq9_number, Measure.Kind.GAD7: c.last_gad7_number}
    every = {Measure.Kind.PHQ9: c.phq9_every, Measure.Kind.GAD7: c.gad7_every}
    overdue = any(
        is_overdue(
            c.last_held_number,
            last[kind] if last[kind] is not None else (0 if assessment[kind] is not None else None),
            every[kind],
        )
        for kind in last
    )
    return _after(c.last_held_start, timedelta(hours=t.unsigned_note_hours)) if overdue else None


# An alert waits this long for its acknowledgement before the course is flagged.
ALERT_ANSWER_WITHIN = timedelta(hours=24)


def _alert_unanswered_since(c) -> datetime | None:
    """Risk is open and nobody was alerted (no supervisor, no duty clinician): at once; or an
    alert has waited ALERT_ANSWER_WITHIN for its acknowledgement."""
    if not c.risk_open:
        return None
    if not c.risk_alerted:
        return EVER
    return _after(c.risk_alert_waiting_since, ALERT_ANSWER_WITHIN)


def _gap_since(c) -> datetime | None:
    """The last session that took place; for a course not started yet, its first booked
    session (so that sessions passing unrecorded are noticed)."""
    if c.status == Course.Status.ACTIVE:
        return c.last_start
    if c.status == Course.Status.PLANNED:
        return c.next_start
    return None


FLAGS = [
    Flag(
        "risk_open",
        "Risk open",
        "A risk episode is open: PHQ-9 item 9 (thoughts of self-harm) was above 0, or the "
        "therapist noted risk. It stays flagged until a clinician closes it with a documented "
        "review; nothing typed in a note closes it.",
        3,
        lambda c, t: _ever(c.risk_open),
    ),
    Flag(
        "risk_not_rechecked",
        "Risk not re-checked",
        "Risk is open and a session held since it opened has no risk assessment of its own "
        "(the re-check at every session while risk is open).",
        3,
        lambda c, t: _ever(c.risk_unrechecked),
    ),
    Flag(
        "missed_while_at_risk",
        "Session missed while risk is open",
        "Risk is open and the patient missed a session since it opened: follow it up today.",
        3,
        lambda c, t: _ever(c.risk_missed),
    ),
    Flag(
        "risk_alert_unanswered",
        "Risk alert unanswered",
        "Risk is open and nobody was alerted (the therapist has no supervisor and the clinic "
        "no duty clinician), or an alert has waited more than 24 hours to be acknowledged.",
        3,
        lambda c, t: _alert_unanswered_since(c),
    ),
    Flag(
        "missed_in_row",
        "Two missed sessions in a row",
        "The patient did not attend two consecutive sessions: engagement is at risk.",
        2,
        lambda c, t: _ever(c.missed_twice),
    ),
    Flag(
        "poor_improvement",
        "Little improvement by mid-course",
        "Half the planned sessions have been held and the latest PHQ-9 has improved by less "
        "than {t.min_improvement_percent} % from baseline. Reconsider the focus or the "
        "treatment plan.",
        2,
        lambda c, t: _ever(_poor_improvement(c, t)),
    ),
    Flag(
        "no_problem_area",
        "No problem area agreed",
        "Session {t.problem_area_by_session} has passed (held or missed) and no problem area "
        "has been agreed with the patient in a formulation.",
        2,
        lambda c, t: _ever(
            c.happened_count >= t.problem_area_by_session
            and not (c.primary_area and c.focus_agreed_on)
        ),
    ),
    Flag(
        "past_contract",
        "Course past its contract",
        "The last planned session was more than {t.past_contract_grace_days} days ago and "
        "the course is still open: complete it, end it, or renegotiate the contract.",
        2,
        lambda c, t: _after(c.last_planned_start, timedelta(days=t.past_contract_grace_days)),
    ),
    Flag(
        "termination_not_raised",
        "Termination not raised",
        "Session N-{t.termination_raised_before_end} has passed (held or missed) and no note "
        "from session N-4 on records that the end of treatment was discussed with the patient.",
        2,
        lambda c, t: _ever(_termination_not_raised(c, t)),
    ),
    Flag(
        "drift",
        "Sessions drifting from the focus",
        "{t.drift_sessions} or more middle-phase sessions held worked on none of the chosen "
        "problem areas, or were signed without recording what they worked on (a risk or "
        "crisis session is not drift).",
        1,
        lambda c, t: _ever(c.drift_count >= t.drift_sessions),
    ),
    Flag(
        "initial_tasks_open",
        "Initial tasks not done",
        "Session 4 has passed (held or missed) and a task of the initial phase is not done: "
        "diagnosis given, sick role explained, medication considered, contract agreed, "
        "inventory begun, formulation agreed. They belong to the course, whatever sessions "
        "were missed.",
        2,
        lambda c, t: _ever(_initial_tasks_open(c)),
    ),
    Flag(
        "measures_overdue",
        "Measures overdue",
        "A PHQ-9 or GAD-7 due at the latest session held (by the clinic's schedule) was not "
        "recorded within {t.unsigned_note_hours} hours.",
        1,
        _measures_overdue_since,
    ),
    Flag(
        "deficits_questioned",
        "Interpersonal deficits while another area may apply",
        "Interpersonal deficits is chosen although the inventory has a deceased person or a "
        "relationship that changed around the onset of symptoms.",
        1,
        lambda c, t: _ever(c.deficits_chosen and c.other_area_suggested),
    ),
    Flag(
        "unsigned_notes",
        "Notes unsigned",
        "A session took place more than {t.unsigned_note_hours} hours ago and its note is "
        "not signed.",
        1,
        lambda c, t: _after(c.oldest_unsigned_start, timedelta(hours=t.unsigned_note_hours)),
    ),
    Flag(
        "gap",
        "No recent session",
        "No session has taken place in the last {t.gap_days} days; for a course not started "
        "yet, in the {t.gap_days} days since its first booked session.",
        1,
        lambda c, t: _after(_gap_since(c), timedelta(days=t.gap_days)),
    ),
]
FLAGS_BY_CODE = {flag.code: flag for flag in FLAGS}

# The facts, computed by the database: over each course's sessions (one aggregate pass)...
SESSION_FACTS = [
    "held_count",
    "happened_count",
    "unsigned_count",
    "oldest_unsigned_start",
    "last_start",
    "next_start",
    "next_number",
    "last_planned_start",
    "last_happened_number",
    "last_raised_number",
    "drift_count",
    "latest_session_phq9",
    "session_phq9_count",
    "missed_twice",
    "last_held_number",
    "last_held_start",
    "last_phq9_number",
    "last_gad7_number",
    "note_tasks_done",
]
# ... and of the course itself (each from at most one row: no aggregate pass needed).
COURSE_FACTS = [
    "opening_phq9",
    "assessment_phq9",
    "risk_open",
    "risk_unrechecked",
    "risk_missed",
    "risk_alerted",
    "risk_alert_waiting_since",
    "primary_area",
    "focus_agreed_on",
    "deficits_chosen",
    "other_area_suggested",
    "assessment_gad7",
    "phq9_every",
    "gad7_every",
    "inventory_started",
]
FACTS = SESSION_FACTS + COURSE_FACTS


def _boolean(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _note_task_done(task: str) -> Q:
    """The session's note records the task (sessions.initial_tasks.is_done: a ticked box, or
    a text with something in it)."""
    field = TherapySession._meta.get_field(task)
    if isinstance(field, BooleanField):
        return Q(**{f"sessions__{task}": True})
    return ~Q(**{f"sessions__{task}__regex": r"^\s*$"})


def _session_facts() -> tuple[dict, dict]:
    """(aliases, annotations) of the facts aggregated over a course's sessions."""
    happened = Q(sessions__attendance__in=HAPPENED)
    attended = Q(sessions__attendance=Attendance.ATTENDED)
    unsigned = attended & Q(sessions__signed_at__isnull=True)
    missed_twice = TherapySession.objects.filter(
        Exists(
            TherapySession.objects.filter(
                course=OuterRef("course"),
                number=OuterRef("number") + 1,
                attendance=Attendance.NO_SHOW,
            )
        ),
        course=OuterRef("pk"),
        attendance=Attendance.NO_SHOW,
    )
    aliases = {
        # One PHQ-9 and one focus per session at most: these joins add no rows.
        "session_phq9": FilteredRelation(
            "sessions__measures", condition=Q(sessions__measures__kind=Measure.Kind.PHQ9)
        ),
        "session_gad7": FilteredRelation(
            "sessions__measures", condition=Q(sessions__measures__kind=Measure.Kind.GAD7)
        ),
        **{
            f"{task}_count": Count("sessions", filter=attended & _note_task_done(task))
            for task in NOTE_TASKS
        },
        "no_show_count": Count("sessions", filter=Q(sessions__attendance=Attendance.NO_SHOW)),
        # The latest session PHQ-9 as one number, session number * 100 + total (a total is
        # at most 27), so that MAX picks the total of the highest-numbered session.
        "latest_phq9_key": Max(
            ExpressionWrapper(
                F("sessions__number") * 100 + F("session_phq9__total"),
                output_field=IntegerField(),
            )
        ),
    }
    annotations = {
        "held_count": Count("sessions", filter=attended),
        "happened_count": Count("sessions", filter=happened),
        "unsigned_count": Count("sessions", filter=unsigned),
        "oldest_unsigned_start": Min("sessions__scheduled_start", filter=unsigned),
        "last_start": Max("sessions__scheduled_start", filter=happened),
        "next_start": Min(
            "sessions__scheduled_start", filter=Q(sessions__attendance=Attendance.SCHEDULED)
        ),
        "next_number": Min("sessions__number", filter=Q(sessions__attendance=Attendance.SCHEDULED)),
        "last_planned_start": Max(
            "sessions__scheduled_start", filter=Q(sessions__number=F("planned_sessions"))
        ),
        "last_happened_number": Max("sessions__number", filter=happened),
        "last_raised_number": Max("sessions__number", filter=Q(sessions__termination_raised=True)),
        "session_phq9_count": Count("session_phq9"),
        "last_held_number": Max("sessions__number", filter=attended),
        "last_held_start": Max("sessions__scheduled_start", filter=attended),
        "last_phq9_number": Max("sessions__number", filter=Q(session_phq9__isnull=False)),
        "last_gad7_number": Max("sessions__number", filter=Q(session_gad7__isnull=False)),
        # How many of the note's initial tasks some held session has done.
        "note_tasks_done": sum(
            (
                Case(When(**{f"{task}_count__gt": 0}, then=Value(1)), default=Value(0))
                for task in NOTE_TASKS
            ),
            start=Value(0),
        ),
        # A middle-phase session held that worked on none of the areas, or was signed
        # without saying what it worked on (a risk or crisis session is not drift).
        "drift_count": Count(
            "sessions",
            filter=attended
            & Q(sessions__number__gt=INITIAL_SESSIONS)
            & Q(sessions__number__lte=F("planned_sessions") - TERMINATION_SESSIONS)
            & (
                Q(sessions__focus__kind=SessionFocus.Kind.DRIFT)
                | Q(sessions__focus__isnull=True, sessions__signed_at__isnull=False)
            ),
        ),
        "latest_session_phq9": F("latest_phq9_key") % 100,
        # The subquery runs only for the courses with two no-shows or more.
        "missed_twice": Case(
            When(no_show_count__gte=2, then=Exists(missed_twice)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    }
    return aliases, annotations


def _open_episode(course) -> QuerySet:
    return RiskEpisode.objects.filter(course=course, closed_at__isnull=True)


def _open_alerts() -> QuerySet:
    """The alerts of a course's open episode, for a subquery on courses."""
    return RiskAlert.objects.filter(episode__course=OuterRef("pk"), episode__closed_at__isnull=True)


def _sessions_since_risk_opened(attendance: str) -> QuerySet:
    """A course's sessions with this attendance since its open risk episode opened (as
    risk.models.RiskEpisode.covers says), for a subquery on courses."""
    episode = _open_episode(OuterRef(OuterRef("pk"))).annotate(
        first_number=Case(  # RiskEpisode.first_number
            When(session__isnull=False, then=F("session__number")),
            When(source=RiskEpisode.Source.ITEM_9, then=Value(1)),
            default=None,
            output_field=IntegerField(),
        )
    )
    opened_at = Subquery(episode.values("opened_at")[:1])
    return (
        TherapySession.objects.filter(course=OuterRef("pk"), attendance=attendance)
        .filter(
            Q(number__gte=Subquery(episode.values("first_number")[:1]))
            | Q(scheduled_start__gt=opened_at)
        )
        .exclude(signed_at__lte=opened_at)  # signed before the risk was known
    )


def _course_facts() -> tuple[dict, dict]:
    """(aliases, annotations) of the facts of the course itself."""
    first_phq9 = Measure.objects.phq9().filter(course=OuterRef("pk"))
    other_area_suggested = Relationship.objects.filter(
        Q(deceased=True) | Q(changed_around_onset=True),
        course=OuterRef("pk"),
        removed_at__isnull=True,
    )
    aliases = {
        # At most one row per course each (one baseline PHQ-9, one primary area, each area
        # once, one formulation): MAX only takes the one value.
        "baseline_phq9": FilteredRelation(
            "measures",
            condition=Q(measures__kind=Measure.Kind.PHQ9, measures__session__isnull=True),
        ),
        "primary": FilteredRelation(
            "problem_areas", condition=Q(problem_areas__rank=ProblemArea.Rank.PRIMARY)
        ),
        "deficits": FilteredRelation(
            "problem_areas", condition=Q(problem_areas__area=Area.INTERPERSONAL_DEFICITS)
        ),
        "deficits_count": Count("deficits"),
        "baseline_gad7": FilteredRelation(
            "measures",
            condition=Q(measures__kind=Measure.Kind.GAD7, measures__session__isnull=True),
        ),
    }
    annotations = {
        # The PHQ-9 taken when the course was opened; without one, the first taken at a
        # session (a subquery run only for such courses).
        "opening_phq9": Coalesce(
            Max("baseline_phq9__total"),
            Subquery(first_phq9.order_by("administered_on", "pk").values("total")[:1]),
            output_field=IntegerField(),
        ),
        "assessment_phq9": Max("baseline_phq9__total"),  # None: none taken at the assessment
        "assessment_gad7": Max("baseline_gad7__total"),
        # The clinic's measurement schedule (one clinic per course: MAX takes its value).
        "phq9_every": Max("patient__clinic__phq9_every_sessions"),
        "gad7_every": Max("patient__clinic__gad7_every_sessions"),
        "inventory_started": Exists(
            Relationship.objects.filter(course=OuterRef("pk"), removed_at__isnull=True)
        ),
        # The risk pathway (risk/): an open episode, a session held since it opened without
        # its own assessment, a session missed since it opened.
        "risk_open": Exists(_open_episode(OuterRef("pk"))),
        "risk_unrechecked": Exists(
            _sessions_since_risk_opened(Attendance.ATTENDED).exclude(
                Exists(
                    RiskAssessment.objects.filter(
                        session=OuterRef("pk"), episode__closed_at__isnull=True
                    )
                )
            )
        ),
        "risk_missed": Exists(_sessions_since_risk_opened(Attendance.NO_SHOW)),
        "risk_alerted": Exists(_open_alerts()),
        "risk_alert_waiting_since": Subquery(
            _open_alerts()
            .filter(acknowledged_at__isnull=True)
            .order_by("created_at")
            .values("created_at")[:1]
        ),
        "primary_area": Coalesce(Max("primary__area"), Value("")),  # "": none agreed
        "focus_agreed_on": Max("formulation__agreed_on"),
        "deficits_chosen": _boolean(Q(deficits_count__gt=0)),
        # The subquery runs only for the courses with interpersonal deficits.
        "other_area_suggested": Case(
            When(deficits_count__gt=0, then=Exists(other_area_suggested)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    }
    return aliases, annotations


class FactRow:
    """One course's facts (and the course fields asked for) as attributes: no model."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def fact_rows(courses: QuerySet[Course], fields: list[str]) -> list[FactRow]:
    """The facts of many courses, and `fields` of each, in two queries.

    The joins of the course-level facts, done in the same query as the sessions, would be
    done once per session rather than once per course, and the rows carried to the
    aggregate would be wider: at 2,000 courses, one query took twice as long as these two.
    """
    session_aliases, session_facts = _session_facts()
    rows = list(
        courses.alias(**session_aliases)
        .annotate(**session_facts)
        .values("pk", *fields, *SESSION_FACTS)
    )
    course_aliases, course_facts = _course_facts()
    of_course = {
        row["pk"]: row
        for row in courses.alias(**course_aliases)
        .annotate(**course_facts)
        .values("pk", *COURSE_FACTS)
    }
    # (A course opened between the two queries is left for the next request.)
    return [FactRow({**row, **of_course[row["pk"]]}) for row in rows if row["pk"] in of_course]


def phase_code_of(course) -> str:
    return phase_for(position_of(course), course.planned_sessions).value


def mark_flags(course, thresholds: FlagThresholds, now: datetime | None = None):
    """Set what the rules and pages read besides the FACTS (phq9_baseline, phq9_latest,
    position, phase_code) and the flags (flag_<code>, flag_severity, flag_count) on a
    course or FactRow that has the FACTS; returns it."""
    now = now or timezone.now()
    # The latest PHQ-9 taken after the baseline (sessions.outcomes), None if none was: the
    # baseline is the assessment's, or else the first session's.
    after_baseline = course.session_phq9_count - (course.assessment_phq9 is None)
    course.phq9_baseline = course.opening_phq9
    course.phq9_latest = course.latest_session_phq9 if after_baseline > 0 else None
    course.position = position_of(course)
    course.phase_code = phase_code_of(course)
    severity = count = 0
    for flag in FLAGS:
        raised = flag.raised(course, thresholds, now)
        setattr(course, f"flag_{flag.code}", raised)
        if raised:
            severity += 10 ** (flag.severity - 1)
            count += 1
    course.flag_severity, course.flag_count = severity, count
    return course


def raised_flags(course) -> list[Flag]:
    """The flags a flagged course carries, most severe first."""
    raised = [flag for flag in FLAGS if getattr(course, f"flag_{flag.code}", False)]
    return sorted(raised, key=lambda flag: -flag.severity)
