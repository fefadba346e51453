"""Reads of inventory data, scoped through the course selectors (and so through access.py)."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from sessions.initial_tasks import Task, dated, note_tasks, note_tasks_done
from sessions.models import Course, TherapySession
from sessions.selectors import (
    courses_editable_by,
    courses_for,
)

from .models import (
    Area,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)


def relationships_of(course: Course) -> QuerySet[Relationship]:
    return course.relationships.current()


def events_of(course: Course) -> QuerySet[LifeEvent]:
    return course.life_events.filter(removed_at__isnull=True).select_related("relationship")


def initial_tasks_of(course: Course, formulation: Formulation | None, people: int) -> list[Task]:
    """The initial phase's tasks (sessions.initial_tasks), done wherever they happened: the
    note's, the inventory (`people` in it), and the formulation agreed with the patient."""
    agreed = formulation.agreed_on if formulation else None
    return [
        *note_tasks(note_tasks_done(course)),
        Task("inventory", "Interpersonal inventory begun", f"{people} people" if people else ""),
        Task("formulation", "Formulation agreed with the patient", dated(agreed)),
    ]


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


def goals_of(course: Course) -> QuerySet[Goal]:
    return Goal.objects.filter(problem_area__course=course).select_related("problem_area")


def focus_of(session: TherapySession) -> SessionFocus:
    """The session's recorded focus, or a new, unsaved one."""
    return SessionFocus.objects.filter(session=session).first() or SessionFocus(session=session)


def termination_review_of(course: Course) -> TerminationReview | None:
    return TerminationReview.objects.filter(course=course).first()


def _courses(user, for_edit: bool) -> QuerySet[Course]:
    """The courses whose inventory the user may read, or change (only an open course's)."""
    if for_edit:
        return courses_editable_by(user).filter(status__in=Course.OPEN_STATUSES)
    return courses_for(user)


def relationship_get_for(user, pk: int, *, for_edit: bool = False) -> Relationship:
    return get_object_or_404(
        Relationship.objects.current()
        .select_related("course", "course__patient")
        .filter(course__in=_courses(user, for_edit)),
        pk=pk,
    )


def life_event_get_for(user, pk: int, *, for_edit: bool = False) -> LifeEvent:
    return get_object_or_404(
        LifeEvent.objects.filter(
            removed_at__isnull=True, course__in=_courses(user, for_edit)
        ).select_related("course"),
        pk=pk,
    )


def problem_area_get_for(user, pk: int, *, for_edit: bool = False) -> ProblemArea:
    courses = _courses(user, for_edit)
    return get_object_or_404(
        ProblemArea.objects.filter(course__in=courses)
        .select_related(
            "course", "course__patient", "course__patient__clinic", "deceased", "other_party"
        )
        .prefetch_related("goals", Prefetch("stage_changes__recorded_by")),
        pk=pk,
    )


def goal_get_for(user, pk: int, *, for_edit: bool = False) -> Goal:
    return get_object_or_404(
        Goal.objects.filter(problem_area__course__in=_courses(user, for_edit)).select_related(
            "problem_area"
        ),
        pk=pk,
    )


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


# The termination review's fields, and the termination notes' fields they start from.
REVIEW_FROM_NOTES = {
    "gains_reviewed": "gains_reviewed",
    "feelings_about_ending": "feelings_about_ending",
    "warning_symptoms": "warning_signs",
    "relapse_plan": "relapse_plan",
}


def review_start_from_notes(course: Course) -> dict[str, str]:
    """A first draft of the termination review from what the termination sessions' notes
    already hold (held sessions, in order, each labelled with its number), for the therapist
    to edit rather than type again."""
    held = TherapySession.objects.filter(
        course=course, attendance=TherapySession.Attendance.ATTENDED
    ).order_by("number")
    rows = list(held.values("number", *REVIEW_FROM_NOTES.values()))
    start = {}
    for review_field, note_field in REVIEW_FROM_NOTES.items():
        parts = [
            f"Session {row['number']}: {row[note_field].strip()}"
            for row in rows
            if row[note_field].strip()
        ]
        if parts:
            start[review_field] = "\n\n".join(parts)
    return start
