"""Reads of the risk pathway, scoped through the course selectors (and so access.py)."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from sessions.models import Course
from sessions.selectors import courses_editable_by, courses_for

from .models import RiskAlert, RiskAssessment, RiskEpisode, SafetyPlan


def episodes_for(user, *, for_edit: bool = False) -> QuerySet[RiskEpisode]:
    """Episodes of the courses the user may read (or change); to read, also those they were
    alerted to and may still see the alert of (the clinic's duty clinician: alerts_for)."""
    if for_edit:
        return RiskEpisode.objects.filter(course__in=courses_editable_by(user))
    return RiskEpisode.objects.filter(
        Q(course__in=courses_for(user)) | Q(pk__in=alerts_for(user).order_by().values("episode_id"))
    )


def episode_get_for(user, pk: int, *, for_edit: bool = False) -> RiskEpisode:
    return get_object_or_404(
        episodes_for(user, for_edit=for_edit).select_related(
            "course__patient__clinic", "course__therapist", "opened_by", "closed_by", "session"
        ),
        pk=pk,
    )


def open_episode_of(course: Course) -> RiskEpisode | None:
    """The course's open episode, with `alerted`: whether anyone was alerted to it."""
    return (
        RiskEpisode.objects.open()
        .filter(course=course)
        .select_related("session")
        .annotate(alerted=Exists(RiskAlert.objects.filter(episode=OuterRef("pk"))))
        .first()
    )


def safety_plan_of(episode: RiskEpisode) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(episode=episode).select_related("updated_by").first()


def assessment_at(episode: RiskEpisode | None, session) -> RiskAssessment | None:
    """The episode's assessment made at this session (its re-check), if any."""
    if episode is None or session is None:
        return None
    return RiskAssessment.objects.filter(episode=episode, session=session).first()


def risk_history_of(course: Course) -> list[RiskEpisode]:
    """Every episode of the course, newest first, with its assessments, plan and alerts."""
    return list(
        RiskEpisode.objects.filter(course=course)
        .select_related("opened_by", "closed_by", "session", "safety_plan")
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=RiskAssessment.objects.select_related("assessed_by", "session"),
            ),
            Prefetch("alerts", queryset=RiskAlert.objects.select_related("recipient")),
        )
    )


def alerts_for(user) -> QuerySet[RiskAlert]:
    """The alerts sent to this user, unacknowledged first, newest first: those about courses
    they may read (a supervision that ended takes its alerts away), or, as the clinic's
    current duty clinician, about any course of the clinic."""
    in_scope = Q(episode__course__in=courses_for(user)) | Q(
        episode__course__patient__clinic__duty_clinician=user
    )
    return (
        RiskAlert.objects.filter(in_scope, recipient=user, recipient__clinic_id=user.clinic_id)
        .select_related("episode__course__patient", "episode__course__therapist")
        .order_by("acknowledged_at", "-created_at")
    )


def alert_get_for(user, pk: int) -> RiskAlert:
    return get_object_or_404(alerts_for(user), pk=pk)


def courses_at_risk(courses: QuerySet[Course]) -> set[int]:
    """Of these courses, the ids of those with an open risk episode (one query)."""
    return set(
        RiskEpisode.objects.open().filter(course__in=courses).values_list("course_id", flat=True)
    )
