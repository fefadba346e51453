"""What the risk pathway adds to the course and session pages (registered in apps.py)."""

from ipt_clinic import hooks
from ipt_clinic.accounts.access import is_treating
from sessions.models import Course

from .selectors import assessment_at, courses_at_risk, open_episode_of, risk_history_of


def course_risk_panel(request, course):
    history = risk_history_of(course)
    return "risk/_course_panel.html", {
        "course": course,
        "open_episode": next((e for e in history if e.is_open), None),
        "history": history,
        "can_note": is_treating(request.user, course) and course.is_open,
    }


def session_risk_panel(request, session):
    """While risk is open: the re-check this session needs; otherwise a way to note risk."""
    course = session.course
    episode = open_episode_of(course)
    treating = is_treating(request.user, course)
    if episode is None and not (treating and course.is_open):
        return None
    assessment = assessment_at(episode, session)
    return "risk/_session_panel.html", {
        "session": session,
        "course": course,
        "episode": episode,
        "assessment": assessment,
        "can_edit": treating and course.is_open,
    }


def course_risk_banner(request, course):
    """At the top of the course page while risk is open: it stays until a review closes it."""
    episode = open_episode_of(course)
    if episode is None:
        return None
    return "risk/_banner.html", {"episode": episode, "session": None}


def session_risk_banner(request, session):
    """At the top of a session's pages while risk is open, saying whether its re-check is
    recorded."""
    episode = open_episode_of(session.course)
    if episode is None:
        return None
    return "risk/_banner.html", {
        "episode": episode,
        "session": session,
        "rechecked": assessment_at(episode, session) is not None,
        "can_edit": is_treating(request.user, session.course) and session.course.is_open,
    }


def risk_badges(courses) -> dict[int, list[str]]:
    """hooks.course_badges: "risk open" beside each course with an open episode (one query)."""
    ids = [course.pk for course in courses]
    return {pk: [hooks.RISK_OPEN] for pk in courses_at_risk(Course.objects.filter(pk__in=ids))}
