"""IPT's three phases, derived from a session's number and the course's planned length.

One pure function, never a stored field: renegotiating the contract shifts the phases at once.
Initial = sessions 1-3; termination = the last 3; middle = the rest
(12 planned -> middle 4-9, termination 10-12; 16 planned -> middle 4-13, termination 14-16).
"""

from collections.abc import Iterable
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


def contract_change_warnings(
    raised_at: Iterable[int], last_happened: int, old_planned: int, new_planned: int
) -> list[str]:
    """What a change of the contract does to raising the end: a discussion held that no
    longer counts (a longer contract moves N-4 past it), or an end now close and not yet
    discussed (a shorter one). `raised_at`: the sessions whose note says the end was
    discussed; `last_happened`: the highest session number held or missed."""
    raised_at = list(raised_at)
    if not termination_discussed(raised_at, new_planned):
        if termination_discussed(raised_at, old_planned):
            return [
                f"The end of treatment was discussed at session {max(raised_at)}, which no "
                f"longer counts with {new_planned} sessions: raise it again from session "
                f"{new_planned - RAISE_TERMINATION_BEFORE} on."
            ]
        if last_happened >= new_planned - RAISE_TERMINATION_BEFORE:
            return [
                f"The end now comes at session {new_planned} and has not been discussed yet: "
                "raise it with the patient at the next session."
            ]
    return []


def termination_discussed(raised_at: Iterable[int], planned: int) -> bool:
    """Whether a note from session N-4 on records that the end was discussed (`raised_at`:
    the numbers of the sessions whose note says so). An earlier discussion does not count:
    the end is raised when it is near."""
    return any(should_raise_termination(number, planned) for number in raised_at)
