"""The hooks through which a higher app takes part in a lower app's work, so that imports
still point one way (accounts <- patients <- sessions <- inventory <- oversight).

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
# sessions asks before completing a course (inventory: its termination review).
completion_checks = Hook("may this course be completed")
# The course and session pages show what inventory and oversight add to them.
course_panels = Hook("panels of the course page")
session_panels = Hook("panels of the session page")
# The services that change what a course's caseload facts are computed from (its sessions,
# measures, problem areas, formulation, inventory, contract) tell, in their transaction, the
# ids of the courses changed (oversight: the stored facts are recomputed).
course_changed = Hook("a course's record changed")
