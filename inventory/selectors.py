"""Reads of inventory data, scoped through the course selectors (and so through access.py)."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from sessions.models import Course, TherapySession
from sessions.selectors import (
    courses_editable_by,
    courses_for,
    sessions_editable_by,
    sessions_for,
)

from .models import Area, Formulation, Goal, LifeEvent, ProblemArea, Relationship


def course_get(user, pk: int, *, edit: bool = False) -> Course:
    courses = courses_editable_by(user) if edit else courses_for(user)
    return get_object_or_404(
        courses.select_related("patient", "patient__clinic", "therapist"), pk=pk
    )


def relationships_of(course: Course) -> QuerySet[Relationship]:
    return course.relationships.current()


def events_of(course: Course) -> QuerySet[LifeEvent]:
    return course.life_events.filter(removed_at__isnull=True).select_related("relationship")


def formulation_of(course: Course) -> Formulation | None:
    return (
        Formulation.objects.filter(course=course)
        .prefetch_related("linked_people", "linked_events")
        .first()
    )


def problem_areas_of(course: Course) -> list[ProblemArea]:
    return list(
        ProblemArea.objects.filter(course=course)
        .select_related("deceased", "other_party")
        .prefetch_related("goals", "stage_changes")
    )


def _editable_courses(user) -> QuerySet[Course]:
    return courses_editable_by(user).filter(status__in=Course.OPEN_STATUSES)


def relationship_get_for_edit(user, pk: int) -> Relationship:
    return get_object_or_404(
        Relationship.objects.current()
        .select_related("course", "course__patient")
        .filter(course__in=_editable_courses(user)),
        pk=pk,
    )


def life_event_get_for_edit(user, pk: int) -> LifeEvent:
    return get_object_or_404(
        LifeEvent.objects.filter(
            removed_at__isnull=True, course__in=_editable_courses(user)
        ).select_related("course"),
        pk=pk,
    )


def problem_area_get(user, pk: int, *, edit: bool = False) -> ProblemArea:
    courses = _editable_courses(user) if edit else courses_for(user)
    return get_object_or_404(
        ProblemArea.objects.filter(course__in=courses)
        .select_related(
            "course", "course__patient", "course__patient__clinic", "deceased", "other_party"
        )
        .prefetch_related("goals", Prefetch("stage_changes__recorded_by")),
        pk=pk,
    )


def goal_get_for_edit(user, pk: int) -> Goal:
    return get_object_or_404(
        Goal.objects.filter(problem_area__course__in=_editable_courses(user)).select_related(
            "problem_area"
        ),
        pk=pk,
    )


def session_get(user, pk: int, *, edit: bool = False) -> TherapySession:
    sessions = sessions_editable_by(user) if edit else sessions_for(user)
    return get_object_or_404(sessions.select_related("course", "course__patient"), pk=pk)


def inventory_suggestions(relationships, areas: list[ProblemArea]) -> list[str]:
    """What in the inventory points to an area other than interpersonal deficits.

    Interpersonal deficits is chosen only when no other area fits; a deceased person or a
    relationship that changed around the onset of symptoms suggests grief, a dispute or a
    transition instead.
    """
    if not any(a.area == Area.INTERPERSONAL_DEFICITS for a in areas):
        return []
    hints = []
    for person in relationships:
        if person.deceased:
            hints.append(f"{person.name} ({person.relation}) has died: consider grief.")
        if person.changed_around_onset:
            hints.append(
                f"The relationship with {person.name} changed around the onset of symptoms: "
                "consider a role dispute or a role transition."
            )
    return hints
