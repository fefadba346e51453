"""The stored caseload facts (CourseFacts): recomputed by the services that change a course,
read with the flags in SQL.

The dashboard must sort every course of a caseload by flag severity, filter and count by
flag, and page. Computing the facts of every listed course per request (flags.fact_rows, the
rules in Python) misses the targets at a supervisor's whole caseload (docs/benchmarks.md:
149 ms at 2,025 courses, 50 ms at 154); stored, with each flag's instant from which it is
raised, all of that is a comparison with now in SQL, and only the page's 25 rows are read.

Every service that changes what the facts are computed from calls refresh (through the
hook ipt_clinic.hooks.course_changed: the services live below this app) inside its own
transaction, so the stored row commits with the change it reflects, or not at all. The row
is computed by the same fact_rows and rules as everything else (flags.py): there is no
second rule set, and no trigger. Data written around the services (the demo generator, a
restore, a bulk import) is brought up to date with `manage.py caseload_refresh`.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When

from sessions.models import Course

from .flags import FACTS, FLAGS, FactRow, fact_rows, mark_flags
from .models import CourseFacts, FlagThresholds

STORED = [*FACTS, "phase_code", *(f"{flag.code}_from" for flag in FLAGS), "flagged_from"]
# What the rules read of the course itself, and whose thresholds apply.
COURSE_FIELDS = ["planned_sessions", "status", "patient__clinic_id"]
BATCH = 500  # courses recomputed per round by refresh_all


def refresh(course_ids: Iterable[int]) -> None:
    """Recompute the stored facts of these courses, in the caller's transaction.

    Each course's row is created if need be and locked, in course order, before its facts
    are read: a concurrent transaction changing the same course waits for this one to
    commit, and then reads the record with this one's change in it (READ COMMITTED takes a
    new snapshot per statement), so neither change is lost from the facts. The lock is the
    last a service takes, so it adds no deadlock between services that lock the course or
    its sessions first.
    """
    ids = sorted(set(course_ids))
    if not ids:
        return
    with transaction.atomic():
        CourseFacts.objects.bulk_create(
            [CourseFacts(course_id=pk) for pk in ids], ignore_conflicts=True
        )
        # (A course deleted meanwhile has no row to lock, and no facts to store.)
        locked = list(
            CourseFacts.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        rows = fact_rows(Course.objects.filter(pk__in=locked), COURSE_FIELDS)
        clinics = {row.patient__clinic_id for row in rows}
        thresholds = {clinic: FlagThresholds.for_clinic(clinic) for clinic in clinics}
        CourseFacts.objects.bulk_create(
            [_computed(row, thresholds[row.patient__clinic_id]) for row in rows],
            update_conflicts=True,
            unique_fields=["course"],
            update_fields=STORED,
        )


def refresh_all(courses: QuerySet[Course] | None = None) -> int:
    """Recompute the stored facts of these courses (every course by default), a batch per
    transaction; returns how many. For data written around the services."""
    courses = Course.objects.all() if courses is None else courses
    ids = list(courses.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        refresh(ids[start : start + BATCH])
    return len(ids)


def ensure(courses: QuerySet[Course]) -> None:
    """Compute the facts of those of these courses that have none (one query when all have):
    a course written around the services and not refreshed since is still listed, with its
    true flags, rather than missing from a supervisor's caseload."""
    refresh(courses.filter(facts__isnull=True).values_list("pk", flat=True))


def _computed(row: FactRow, thresholds: FlagThresholds) -> CourseFacts:
    mark_flags(row, thresholds)  # what the rules read besides the facts (PHQ-9, phase...)
    raised_from = {f"{flag.code}_from": flag.rule(row, thresholds) for flag in FLAGS}
    return CourseFacts(
        course_id=row.pk,
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
