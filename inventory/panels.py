"""What inventory adds to the course and session pages (registered in apps.py)."""

from ipt_clinic.accounts.access import may_edit
from sessions.phases import Phase

from .models import SessionFocus, TerminationReview
from .selectors import (
    formulation_of,
    initial_tasks_of,
    inventory_suggestions,
    problem_areas_of,
    relationships_of,
)


def course_focus_panel(request, course):
    areas = problem_areas_of(course)
    people = list(relationships_of(course))
    formulation = formulation_of(course)
    tasks = initial_tasks_of(course, formulation, len(people))
    return "inventory/_course_panel.html", {
        "course": course,
        "areas": areas,
        "formulation": formulation,
        "initial_tasks": tasks,
        "initial_tasks_left": sum(not task.done for task in tasks),
        "people_count": len(people),
        "suggestions": inventory_suggestions(people, areas),
        "review": TerminationReview.objects.filter(course=course).first(),
        "can_edit": may_edit(request.user, course),
    }


def session_focus_panel(request, session):
    if session.phase != Phase.MIDDLE:
        return None
    focus = (
        SessionFocus.objects.filter(session=session)
        .select_related("problem_area")
        .prefetch_related("goals")
        .first()
    )
    return "inventory/_session_panel.html", {
        "session": session,
        "focus": focus,
        "can_edit": may_edit(request.user, session) and not session.is_signed,
    }
