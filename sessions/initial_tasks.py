"""The tasks of IPT's initial phase belong to the course, not to sessions 1-3 (IPT.md: "if
session 2 is missed, they still have to happen").

Four of them are recorded in a session's note (NOTE_TASKS); the inventory and the agreed
formulation are recorded in the inventory app, which adds them to the course's checklist
(inventory.selectors.initial_tasks_of). A note task not yet done in any held session is asked
for again by every later note until it is (`outstanding_note_tasks`), so that missing the
first sessions never hides it; the caseload flags it once session DUE_BY_SESSION has passed.
"""

from dataclasses import dataclass
from datetime import date

from .models import NOTE_TASKS, TherapySession
from .phases import INITIAL_SESSIONS

# The tasks are due by this session (by its number: held or missed).
DUE_BY_SESSION = INITIAL_SESSIONS + 1


@dataclass(frozen=True)
class Task:
    code: str
    label: str
    done_at: str = ""  # where it was done ("session 2", "12 Mar 2026"); "": not yet

    @property
    def done(self) -> bool:
        return bool(self.done_at)


def is_done(value) -> bool:
    """A ticked box, or a text with something in it."""
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def note_tasks_done(course, *, besides: TherapySession | None = None) -> dict[str, int]:
    """{note task: the number of the first held session whose note records it}, leaving out
    the session `besides` (the one being written, whose own ticks can still change)."""
    sessions = TherapySession.objects.filter(
        course=course, attendance=TherapySession.Attendance.ATTENDED
    ).order_by("number")
    if besides is not None:
        sessions = sessions.exclude(pk=besides.pk)
    done: dict[str, int] = {}
    for row in sessions.values("number", *NOTE_TASKS):
        for code in NOTE_TASKS:
            if code not in done and is_done(row[code]):
                done[code] = row["number"]
    return done


def outstanding_note_tasks(session: TherapySession) -> list[str]:
    """The note tasks no other held session of the course has done: a later note asks for
    them again (the initial phase's own notes always ask for them)."""
    done = note_tasks_done(session.course, besides=session)
    return [code for code in NOTE_TASKS if code not in done]


def note_tasks(done: dict[str, int]) -> list[Task]:
    return [
        Task(code, label, f"session {done[code]}" if code in done else "")
        for code, label in NOTE_TASKS.items()
    ]


def dated(day: date | None) -> str:
    return f"{day:%-d %b %Y}" if day else ""
