"""Hooks through which higher apps (inventory, caseload) add to courses and sessions.

Dependencies point one way: sessions never imports inventory. Instead inventory registers,
in its AppConfig.ready(), the panels it adds to the course and session pages and the
checks a course must pass before it is completed (a termination review, say).

A panel is a callable (request, obj) -> (template_name, context) or None when it has nothing
to show. A completion check is a callable (course) -> list of problems, in words the
therapist can act on.
"""

from collections.abc import Callable

Panel = Callable[..., tuple[str, dict] | None]
CompletionCheck = Callable[..., list[str]]

course_panels: list[Panel] = []
session_panels: list[Panel] = []
completion_checks: list[CompletionCheck] = []


def register_course_panel(panel: Panel) -> Panel:
    course_panels.append(panel)
    return panel


def register_session_panel(panel: Panel) -> Panel:
    session_panels.append(panel)
    return panel


def register_completion_check(check: CompletionCheck) -> CompletionCheck:
    completion_checks.append(check)
    return check


def completion_problems(course) -> list[str]:
    return [problem for check in completion_checks for problem in check(course)]
