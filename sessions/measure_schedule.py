"""The measurement schedule (IPT.md, Measures): a baseline before treatment starts, then each
measure every so many sessions, by the clinic's settings (PHQ-9 every session and GAD-7 every
fourth by default; never less often than every 4th, as IPT certification asks).

A measure is due at a session when that many session numbers have passed since it was last
taken (the assessment counts as session 0), or when it was never taken: counting by number,
a session missed still counts, so missing the session it was due at moves it to the next one
held. One pure rule (`is_due`), used by the session page and by the caseload's flag.
"""

from dataclasses import dataclass

from .models import Measure

# The clinic settings and their bounds.
DEFAULT_EVERY = {Measure.Kind.PHQ9: 1, Measure.Kind.GAD7: 4}
MAX_EVERY = 4
ASSESSMENT = 0  # the "session number" of a measure taken at the assessment


def is_due(number: int, last_taken: int | None, every: int) -> bool:
    """Whether a measure is due at session `number` when it was last taken at session
    `last_taken` before it (ASSESSMENT: at the assessment; None: never)."""
    if not 1 <= every <= MAX_EVERY:
        raise ValueError(f"a measure is taken every 1 to {MAX_EVERY} sessions, not {every}")
    return last_taken is None or number - last_taken >= every


def is_overdue(last_held: int | None, last_taken: int | None, every: int) -> bool:
    """Whether a measure was due at the latest session held and not taken there (nor since)."""
    if last_held is None:
        return False
    return last_taken != last_held and is_due(last_held, last_taken, every)


def every_of(clinic) -> dict[str, int]:
    return {
        Measure.Kind.PHQ9: clinic.phq9_every_sessions,
        Measure.Kind.GAD7: clinic.gad7_every_sessions,
    }


@dataclass(frozen=True)
class Due:
    kind: str
    label: str
    taken: Measure | None  # taken at this session

    @property
    def outstanding(self) -> bool:
        return self.taken is None


def due_at(session, measures: list[Measure]) -> list[Due]:
    """The measures due at `session`, each with the one taken there if it was; `measures`:
    the course's measures (the baseline's session is None)."""
    every = every_of(session.course.patient.clinic)
    due = []
    for kind, label in Measure.Kind.choices:
        before = [
            m.session.number if m.session_id else ASSESSMENT
            for m in measures
            if m.kind == kind and (m.session_id is None or m.session.number < session.number)
        ]
        if is_due(session.number, max(before, default=None), every[kind]):
            here = [m for m in measures if m.kind == kind and m.session_id == session.pk]
            due.append(Due(kind, label, here[0] if here else None))
    return due


def baseline_missing(session, measures: list[Measure]) -> bool:
    """From session 2 on, a note is not signed without a baseline PHQ-9: one taken at the
    assessment or at a session up to this one (session 1 missed, session 2's is the
    baseline)."""
    if session.number < 2:
        return False
    return not any(
        m.kind == Measure.Kind.PHQ9 and (m.session_id is None or m.session.number <= session.number)
        for m in measures
    )
