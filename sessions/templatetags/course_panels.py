"""Panels the sessions app contributes to lower apps' pages (patients never imports sessions)."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ipt_clinic import hooks
from ipt_clinic.accounts.access import is_treating

from ..outcomes import PHQ9, Change
from ..phases import phase_for
from ..progress import position_of
from ..selectors import courses_of_patient

register = template.Library()


@register.inclusion_tag("sessions/_patient_courses.html", takes_context=True)
def patient_courses(context, patient):
    user = context["request"].user
    courses = list(courses_of_patient(user, patient))
    badges = hooks.badges_of(courses)
    for course in courses:
        course.outcome = Change(PHQ9, course.phq9_baseline, course.phq9_latest)
        course.badges = badges.get(course.pk, [])
    return {
        "patient": patient,
        "courses": courses,
        "can_open": is_treating(user, patient)
        and not patient.is_archived
        and not any(c.is_open for c in courses),
    }


@register.filter
def phase_of(number: int, planned: int) -> str:
    """{{ session.number|phase_of:course.planned_sessions }} -> 'initial' / 'middle' / ..."""
    return phase_for(min(max(number, 1), planned), planned).value


@register.filter
def phq9_outcome(course) -> Change:
    """{{ course|phq9_outcome }}: the PHQ-9 Change of a course annotated by
    selectors.with_progress."""
    return Change(PHQ9, course.phq9_baseline, course.phq9_latest)


@register.filter
def get_due(due: dict, kind: str):
    """{{ due|get_due:kind }}: the Due of this measure at the session, None when not due."""
    return due.get(kind)


@register.filter
def next_number(course) -> int:
    """The session the course is at (a course annotated by selectors.with_progress)."""
    return position_of(course)


def _render_panels(context, panels, obj) -> str:
    request = context["request"]
    parts = []
    for panel in panels:
        contributed = panel(request, obj)
        if contributed is not None:
            template_name, panel_context = contributed
            parts.append(render_to_string(template_name, panel_context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - each part is an autoescaped template


@register.simple_tag(takes_context=True)
def contributed_course_panels(context, course) -> str:
    """Panels other apps add to the course page (ipt_clinic/hooks.py)."""
    return _render_panels(context, hooks.course_panels, course)


@register.simple_tag(takes_context=True)
def contributed_course_banners(context, course) -> str:
    """Alerts other apps put at the top of the course page (risk: an open episode)."""
    return _render_panels(context, hooks.course_banners, course)


@register.simple_tag(takes_context=True)
def contributed_session_banners(context, session) -> str:
    """Alerts other apps put at the top of a session's pages (risk: the re-check due)."""
    return _render_panels(context, hooks.session_banners, session)


@register.simple_tag(takes_context=True)
def contributed_session_panels(context, session) -> str:
    """Panels other apps add to the session page (ipt_clinic/hooks.py)."""
    return _render_panels(context, hooks.session_panels, session)
