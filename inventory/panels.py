"""What inventory adds to the course and session pages (registered in apps.py)."""

from ipt_clinic.accounts.access import may_edit
from ipt_clinic.forms import embedded
from sessions.phases import Phase
from sessions.workspace import WorkspacePart

from . import services
from .forms import GoalOutcomesForm, SessionFocusForm
from .models import SessionFocus, TerminationReview
from .selectors import (
    focus_of,
    formulation_of,
    goals_of,
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


def session_focus_part(request, session, data):
    """The workspace's problem-area focus: what a middle-phase session worked on."""
    if session.phase != Phase.MIDDLE or not may_edit(request.user, session):
        return None
    course = session.course
    form = SessionFocusForm(
        data,
        prefix="focus",
        instance=focus_of(session),
        areas=problem_areas_of(course),
        goals=goals_of(course),
    )
    embedded(form)

    def save(by, form):
        return services.session_focus_save(
            by=by,
            session=session,
            kind=form.cleaned_data["kind"],
            problem_area=form.cleaned_data["problem_area"],
            goals=form.cleaned_data["goals"],
            based_on=form.based_on,
        )

    return WorkspacePart(
        title="What this session worked on",
        template="inventory/_workspace_focus.html",
        form=form,
        save=save,
    )


def goal_outcomes_part(request, course, data):
    """Completing a course: the outcome of each of its goals."""
    goals = list(goals_of(course).select_related("problem_area"))
    if not goals:
        return None

    def save(by, form):
        for goal in form.changed_goals():
            services.goal_save(by=by, goal=goal)

    return WorkspacePart(
        title="Each goal's outcome",
        template="inventory/_goal_outcomes.html",
        form=GoalOutcomesForm(data, prefix="goals", goals=goals),
        save=save,
    )
