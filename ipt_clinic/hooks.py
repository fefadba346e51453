"""The hooks through which a higher app takes part in a lower app's work, so that imports
still point one way (accounts <- patients <- sessions <- risk <- inventory <- oversight).

A lower app asks a hook; the higher apps register with it in their AppConfig.ready(). Checks
are callables (obj) -> list of problems, in words a person can act on, and an action is
refused while any reports one; panels are callables (request, obj) -> (template name,
context), or None when they have nothing to show; listeners are callables (ids) told of a
change inside the transaction that made it.
"""

from collections.abc import Callable, Iterator
from typing import Any


class Hook:
    def __init__(self, purpose: str):
        self.purpose = purpose
        self._registered: list[Callable[..., Any]] = []

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if function not in self._registered:
            self._registered.append(function)
        return function

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(list(self._registered))

    def problems(self, obj) -> list[str]:
        """Every registered check's problems with `obj` (empty: nothing stands in the way)."""
        return [problem for check in self for problem in check(obj)]

    def tell(self, *args) -> None:
        """Call every registered listener with `args`."""
        for listener in self:
            listener(*args)

    def __repr__(self) -> str:
        return f"<Hook: {self.purpose}>"


# accounts asks before a therapist loses the role or is deactivated (sessions: open courses).
caseload_checks = Hook("may this member of staff stop treating patients")
# patients asks before archiving a patient (sessions: an open course).
archive_checks = Hook("may this patient be archived")
# sessions tells of each measure recorded, with who recorded it (risk: an item 9 above 0
# opens the risk pathway), in the transaction that recorded it.
measure_recorded = Hook("a measure was recorded")
# sessions asks before a session's note is signed (inventory: a middle-phase session's focus).
sign_checks = Hook("may this session's note be signed")
# sessions asks before a course ends, completed or early (risk: an episode still open).
ending_checks = Hook("may this course end")
# sessions asks before completing a course (inventory: its termination review).
completion_checks = Hook("may this course be completed")
# The course and session pages show what inventory and oversight add to them.
course_panels = Hook("panels of the course page")
session_panels = Hook("panels of the session page")
# ... and the alerts at the top of the course page and of a session's pages (risk: open).
course_banners = Hook("alerts at the top of the course page")
# Badges beside courses in a list: listeners take the courses and answer {course id: [label]}
# (risk: "risk open").
course_badges = Hook("badges beside courses in a list")
# The badge risk gives a course whose risk episode is open (asked for by name below it).
RISK_OPEN = "risk open"


def has_badge(course, badge: str) -> bool:
    """Whether a listener gives this one course `badge` (one query per listener)."""
    return badge in badges_of([course]).get(course.pk, [])


def badges_of(courses) -> dict[int, list[str]]:
    """Every listener's badges for these courses, by course id."""
    badges: dict[int, list[str]] = {}
    for listener in course_badges:
        for pk, labels in listener(courses).items():
            badges.setdefault(pk, []).extend(labels)
    return badges


session_banners = Hook("alerts at the top of a session's pages")
# The session workspace's sections from the apps above: callables (request, session, data)
# -> sessions.workspace.WorkspacePart or None (inventory: the problem-area focus).
workspace_parts = Hook("sections of the session workspace")
# ... and of completing a course: callables (request, course, data) -> WorkspacePart or None
# (inventory: each goal's outcome), saved before the course completes.
completion_parts = Hook("sections of completing a course")
# The services that change what a course's caseload facts are computed from (its sessions,
# measures, problem areas, formulation, inventory, contract) tell, in their transaction, the
# ids of the courses changed (oversight: the stored facts are recomputed).
course_changed = Hook("a course's record changed")
