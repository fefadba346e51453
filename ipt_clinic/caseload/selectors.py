"""Reads for supervision, scoped through access.py and the course selectors."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ipt_clinic.accounts.access import supervisees_for
from ipt_clinic.accounts.models import User
from sessions.models import Amendment, Course, TherapySession
from sessions.selectors import courses_editable_by, courses_for, sessions_for

from .flags import DERIVED, FACTS, FLAGS_BY_CODE, FactRow, flagged_rows, with_flags
from .models import FlagThresholds, NoteReview, SupervisionNote

PHASES = ["initial", "middle", "termination"]


def supervised_courses(user) -> QuerySet[Course]:
    """Open courses of the therapists this user supervises today (not their own caseload)."""
    return courses_for(user).open().filter(therapist__in=supervisees_for(user))


def course_get_for_supervision(user, pk: int) -> Course:
    return get_object_or_404(supervised_courses(user).select_related("patient", "therapist"), pk=pk)


def session_get_for_supervision(user, pk: int) -> TherapySession:
    return get_object_or_404(
        sessions_for(user)
        .filter(course__therapist__in=supervisees_for(user))
        .select_related("course", "course__patient", "course__therapist"),
        pk=pk,
    )


def session_get_for_rating(user, pk: int) -> tuple[TherapySession, str]:
    """A session this user may rate for fidelity, and in which capacity."""
    session = get_object_or_404(
        sessions_for(user).select_related("course", "course__patient", "course__therapist"),
        pk=pk,
    )
    if session.course.therapist_id == user.pk:
        return session, "therapist"
    if supervisees_for(user).filter(pk=session.course.therapist_id).exists():
        return session, "supervisor"
    raise Http404  # sessions_for yields only own or supervised sessions; kept as a guard


# What the dashboard reads of each course besides its facts.
CASELOAD_FIELDS = ["therapist_id", "planned_sessions", "status"]


@dataclass
class Caseload:
    rows: list[FactRow]  # the courses shown, most urgent first
    summaries: list[dict]  # one per supervisee with open courses, whatever the filters
    therapists: list[User]  # the supervisees, by name
    thresholds: FlagThresholds


def _urgency(row: FactRow) -> tuple:
    # Most severe first, then the soonest next session (none booked last), then the oldest.
    no_next = row.next_start is None
    return (-row.flag_severity, no_next, row.next_start if not no_next else 0, row.pk)


def _summaries(rows: list[FactRow], therapists: list[User]) -> list[dict]:
    by_therapist = {
        therapist.pk: {
            "therapist_id": therapist.pk,
            "therapist__full_name": therapist.full_name,
            "courses": 0,
            "flagged": 0,
            "unsigned": 0,
        }
        for therapist in therapists
    }
    for row in rows:
        summary = by_therapist[row.therapist_id]
        summary["courses"] += 1
        summary["flagged"] += row.flag_count > 0
        summary["unsigned"] += row.unsigned_count
    return [summary for summary in by_therapist.values() if summary["courses"]]


def caseload_rows(user, therapists: list[User], thresholds: FlagThresholds) -> list[FactRow]:
    """Every course on the supervisor's caseload: its facts and flags (two queries)."""
    courses = supervised_courses(user).filter(
        # The supervisees' ids as a list too: PostgreSQL then narrows the courses before it
        # joins their sessions (with the subquery alone, it joined every open course first).
        therapist_id__in=[therapist.pk for therapist in therapists]
    )
    return flagged_rows(courses, CASELOAD_FIELDS, thresholds)


def caseload_for(user, *, therapist_id=None, phase=None, area=None, flag=None) -> Caseload:
    """The supervisor's open caseload with its flags, filtered and sorted by severity, and a
    summary per therapist, in a fixed number of queries whatever the number of courses
    (courses_of_rows then loads the courses of the page shown)."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    therapists = list(supervisees_for(user).order_by("full_name", "pk"))
    rows = caseload_rows(user, therapists, thresholds)
    summaries = _summaries(rows, therapists)
    if therapist_id:
        rows = [row for row in rows if row.therapist_id == therapist_id]
    if phase in PHASES:
        rows = [row for row in rows if row.phase_code == phase]
    if area:
        rows = [row for row in rows if row.primary_area == area]
    if flag in FLAGS_BY_CODE:
        rows = [row for row in rows if getattr(row, f"flag_{flag}")]
    elif flag == "any":
        rows = [row for row in rows if row.flag_count]
    rows.sort(key=_urgency)
    return Caseload(rows=rows, summaries=summaries, therapists=therapists, thresholds=thresholds)


def courses_of_rows(rows: list[FactRow]) -> list[Course]:
    """The courses of some rows of caseload_for (so already in the user's scope), in their
    order, with patient, therapist and the rows' facts and flags (one query)."""
    courses = Course.objects.select_related("patient", "therapist")
    by_pk = courses.in_bulk([row.pk for row in rows])
    shown = []
    for row in rows:
        course = by_pk[row.pk]  # courses are never deleted
        for name in (*FACTS, *DERIVED):
            setattr(course, name, getattr(row, name))
        shown.append(course)
    return shown


def own_flagged_courses(user) -> tuple[list[Course], FlagThresholds]:
    """The therapist's own open courses that carry a flag, for their home page."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    courses = with_flags(courses_editable_by(user).open(), thresholds).select_related("patient")
    flagged = [course for course in courses if course.flag_count]
    return sorted(flagged, key=lambda c: (-c.flag_severity, c.pk)), thresholds


def notes_needing_revision(user):
    """The therapist's own signed notes a supervisor sent back for revision, oldest first:
    they stay listed until the supervisor co-signs; `amended` once the therapist has added
    an amendment since the review."""
    amended_since = Amendment.objects.filter(
        session=OuterRef("session"), created_at__gt=OuterRef("updated_at")
    )
    return (
        NoteReview.objects.filter(
            session__course__in=courses_editable_by(user),
            status=NoteReview.Status.NEEDS_REVISION,
        )
        .annotate(amended=Exists(amended_since))
        .select_related("reviewer", "session__course__patient")
        .order_by("updated_at", "pk")
    )


def recent_supervision_notes(user, limit: int = 5):
    """Supervision notes on the therapist's own courses, newest first."""
    return (
        SupervisionNote.objects.filter(course__in=courses_editable_by(user))
        .select_related("author", "course__patient")
        .order_by("-created_at")[:limit]
    )
