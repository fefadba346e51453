"""IPT's three phases, derived from a session's number and the course's planned length.

One pure function, never a stored field: renegotiating the contract shifts the phases at once.
Initial = sessions 1-3; termination = the last 3; middle = the rest
(12 planned -> middle 4-9, termination 10-12; 16 planned -> middle 4-13, termination 14-16).
"""

from enum import StrEnum

MIN_SESSIONS = 12
MAX_SESSIONS = 16
INITIAL_SESSIONS = 3
TERMINATION_SESSIONS = 3
# The end is raised with the patient from this many sessions before the last one.
RAISE_TERMINATION_BEFORE = 4


class Phase(StrEnum):
    INITIAL = "initial"
    MIDDLE = "middle"
    TERMINATION = "termination"

    @property
    def label(self) -> str:
        return f"{self.value} phase"


def phase_for(number: int, planned: int) -> Phase:
    """The phase of session `number` in a course of `planned` sessions."""
    if not MIN_SESSIONS <= planned <= MAX_SESSIONS:
        raise ValueError(f"a course plans {MIN_SESSIONS}-{MAX_SESSIONS} sessions, not {planned}")
    if not 1 <= number <= planned:
        raise ValueError(f"session {number} is outside a course of {planned}")
    if number <= INITIAL_SESSIONS:
        return Phase.INITIAL
    if number > planned - TERMINATION_SESSIONS:
        return Phase.TERMINATION
    return Phase.MIDDLE


def should_raise_termination(number: int, planned: int) -> bool:
    """From session N-4 on, the end should be on the agenda."""
    return number >= planned - RAISE_TERMINATION_BEFORE
