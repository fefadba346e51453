"""The stored caseload facts (CourseFacts): kept fresh, and read with the flags in SQL.

The dashboard must sort every course of a caseload by flag severity, filter and count by
flag, and page; computing the facts of 2,000 courses on each request costs about their
sessions (docs/benchmarks.md). Stored, with each flag's instant from which it is raised,
all of that is a comparison with now in SQL, and only the page's 25 rows are read.

A row is fresh when no source row changed since it was computed (PostgreSQL triggers set
`stale`, migration 0002) and it was computed with the clinic's current thresholds. refresh
recomputes the other rows of the courses asked for, with the same fact_rows and rules as the
live path (flags.py), so the two cannot disagree.
"""

import logging
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When

from sessions.models import Course

from .flags import FACTS, FLAGS, FactRow, fact_rows, mark_flags
from .models import CourseFacts, FlagThresholds

logger = logging.getLogger(__name__)

STORED = [
    *FACTS,
    "phase_code",
    *(f"{flag.code}_from" for flag in FLAGS),
    "flagged_from",
    "stale",
    "thresholds_key",
]
# What the rules read of the course itself.
COURSE_FIELDS = ["planned_sessions", "status"]


def thresholds_key(thresholds: FlagThresholds) -> str:
    """The thresholds' values as one string: rows computed with others are stale."""
    return "/".join(
        str(getattr(thresholds, field.attname))
        for field in FlagThresholds._meta.concrete_fields
        if field.name not in {"id", "clinic"}
    )


def kept_by_triggers() -> bool:
    """Whether the triggers mark rows stale (PostgreSQL). Without them (SQLite, the
    developer's fallback) every row read is recomputed."""
    return connection.vendor == "postgresql"


def stale(key: str) -> Q:
    """Courses whose stored facts must be recomputed before they are read: marked stale,
    computed with other thresholds (`key`), or without a row."""
    return Q(facts__isnull=True) | Q(facts__stale=True) | ~Q(facts__thresholds_key=key)


def refresh(courses: QuerySet[Course], thresholds: FlagThresholds) -> None:
    """Recompute the stale rows of these courses (a fixed number of queries).

    The rows are locked (in course order) while they are recomputed: a write committed
    meanwhile waits for the lock and marks its row stale again, after this; a row another
    request is recomputing is waited for, and then left alone if it is fresh. A course
    without a row (the triggers bypassed) gets one first, so that it is locked like the
    others. If PostgreSQL breaks a deadlock by failing this transaction (a write touching
    many courses, committing at this moment), the rows stay stale until the next read.
    """
    key = thresholds_key(thresholds)
    if not kept_by_triggers():
        _store(fact_rows(courses, COURSE_FIELDS), thresholds, key)
        return
    # (course, its row or None)
    stale_rows = dict(courses.filter(stale(key)).values_list("pk", "facts__pk"))
    if not stale_rows:
        return
    try:
        with transaction.atomic():
            missing = [course for course, row in stale_rows.items() if row is None]
            CourseFacts.objects.bulk_create(
                [CourseFacts(course_id=course) for course in missing], ignore_conflicts=True
            )
            locked = (
                CourseFacts.objects.filter(pk__in=stale_rows)
                .filter(Q(stale=True) | ~Q(thresholds_key=key))  # checked again once locked
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)
            )
            # Read after the lock: every write that marked these rows stale is committed.
            rows = fact_rows(Course.objects.filter(pk__in=list(locked)), COURSE_FIELDS)
            _store(rows, thresholds, key)
    except OperationalError:
        logger.warning("Caseload facts not refreshed: a lock conflict; retried on next read")


def _store(rows: list[FactRow], thresholds: FlagThresholds, key: str) -> None:
    CourseFacts.objects.bulk_create(
        [_computed(row, thresholds, key) for row in rows],
        update_conflicts=True,
        unique_fields=["course"],
        update_fields=STORED,
    )


def _computed(row: FactRow, thresholds: FlagThresholds, key: str) -> CourseFacts:
    mark_flags(row, thresholds)  # what the rules read besides the facts (PHQ-9, phase...)
    raised_from = {f"{flag.code}_from": flag.rule(row, thresholds) for flag in FLAGS}
    return CourseFacts(
        course_id=row.pk,
        stale=False,
        thresholds_key=key,
        phase_code=row.phase_code,
        **{name: getattr(row, name) for name in FACTS},
        **raised_from,
        flagged_from=min(
            (since for since in raised_from.values() if since is not None), default=None
        ),
    )


def raised(code: str, now: datetime) -> Q:
    """Courses (joined with their facts) on which this flag is raised at `now`."""
    return Q(**{f"facts__{code}_from__lt": now})


def any_raised(now: datetime) -> Q:
    """Courses that carry a flag at `now`."""
    return Q(facts__flagged_from__lt=now)


def most_urgent_first(courses: QuerySet[Course], now: datetime) -> QuerySet[Course]:
    """Ordered by the severity of the flags raised at `now` (as mark_flags sums it), then
    the soonest next session (none booked last), then the oldest course."""
    severity = Value(0)
    for flag in FLAGS:
        severity += Case(
            When(raised(flag.code, now), then=Value(10 ** (flag.severity - 1))),
            default=Value(0),
        )
    return courses.alias(severity=severity).order_by(
        F("severity").desc(), F("facts__next_start").asc(nulls_last=True), "pk"
    )


def mark_stored(course: Course, thresholds: FlagThresholds, now: datetime) -> Course:
    """mark_flags on a course fetched with its stored facts (select_related("facts"))."""
    for name in FACTS:
        setattr(course, name, getattr(course.facts, name))
    return mark_flags(course, thresholds, now)
