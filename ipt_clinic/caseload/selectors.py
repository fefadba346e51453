"""Reads for supervision, scoped through access.py and the course selectors."""

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from ipt_clinic.accounts.access import supervisees_for
from sessions.models import Course, TherapySession
from sessions.selectors import courses_editable_by, courses_for, sessions_for

from .flags import FLAGS_BY_CODE, with_flags
from .models import FlagThresholds, SupervisionNote

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


def dashboard_courses(user, *, therapist_id=None, phase=None, area=None, flag=None):
    """The supervisor's caseload with flags, filtered and sorted by severity, in one query."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    courses = with_flags(supervised_courses(user), thresholds)
    if therapist_id:
        courses = courses.filter(therapist_id=therapist_id)
    if phase in PHASES:
        courses = courses.filter(phase_code=phase)
    if area:
        courses = courses.filter(primary_area=area)
    if flag in FLAGS_BY_CODE:
        courses = courses.filter(**{f"flag_{flag}": True})
    elif flag == "any":
        courses = courses.filter(flag_count__gt=0)
    ordered = courses.select_related("patient", "therapist").order_by(
        "-flag_severity", "next_start", "pk"
    )
    return ordered, thresholds


def therapist_summaries(user, thresholds: FlagThresholds) -> list[dict]:
    """One row per supervisee: open courses, flagged courses, unsigned notes (one query)."""
    rows = (
        with_flags(supervised_courses(user), thresholds)
        .values("therapist_id", "therapist__full_name")
        .annotate(
            courses=Count("pk"),
            flagged=Count("pk", filter=Q(flag_count__gt=0)),
            unsigned=Sum("unsigned_count"),
        )
        .order_by("therapist__full_name")
    )
    return list(rows)


def own_flagged_courses(user) -> tuple[list[Course], FlagThresholds]:
    """The therapist's own open courses that carry a flag, for their home page."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    return list(
        with_flags(courses_editable_by(user).open(), thresholds)
        .filter(flag_count__gt=0)
        .select_related("patient")
        .order_by("-flag_severity", "pk")
    ), thresholds


def recent_supervision_notes(user, limit: int = 5):
    """Supervision notes on the therapist's own courses, newest first."""
    return (
        SupervisionNote.objects.filter(course__in=courses_editable_by(user))
        .select_related("author", "course__patient")
        .order_by("-created_at")[:limit]
    )
