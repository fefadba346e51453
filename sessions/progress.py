"""Where a course stands: the session it is at, the next one booked, how many took place.
One rule for every page, the therapist's home and the supervisor's flags."""

from dataclasses import dataclass

from .models import Course, TherapySession
from .phases import Phase, phase_for

Attendance = TherapySession.Attendance


def session_at(*, next_scheduled: int | None, happened: int, planned: int) -> int:
    """The session a course is at: the next one booked (a cancelled session keeps its number,
    so after a cancellation this is not simply the sessions held plus one); with none booked,
    the one after those that took place; never past the contract."""
    number = next_scheduled if next_scheduled is not None else happened + 1
    return max(1, min(number, planned))


def position_of(course) -> int:
    """The session a course annotated by selectors.with_progress (or the caseload facts) is
    at: it carries next_number and happened_count."""
    return session_at(
        next_scheduled=course.next_number,
        happened=course.happened_count or 0,
        planned=course.planned_sessions,
    )


@dataclass(frozen=True)
class Progress:
    position: int  # the session the course is at
    next_session: TherapySession | None  # the next one booked within the contract
    held: int  # attended
    happened: int  # attended or missed: their slots are used up

    def phase(self, course: Course) -> Phase:
        return phase_for(self.position, course.planned_sessions)


def progress_of(course: Course, sessions: list[TherapySession]) -> Progress:
    """The progress of a course whose sessions are already loaded (the course page)."""
    booked = [
        s
        for s in sessions
        if s.attendance == Attendance.SCHEDULED and s.number <= course.planned_sessions
    ]
    next_session = min(booked, key=lambda s: s.number, default=None)
    happened = sum(1 for s in sessions if s.attendance in (Attendance.ATTENDED, Attendance.NO_SHOW))
    return Progress(
        position=session_at(
            next_scheduled=next_session.number if next_session else None,
            happened=happened,
            planned=course.planned_sessions,
        ),
        next_session=next_session,
        held=sum(1 for s in sessions if s.attendance == Attendance.ATTENDED),
        happened=happened,
    )
