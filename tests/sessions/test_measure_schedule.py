"""The measurement schedule and the initial tasks: pure rules, each a table with its edges."""

from types import SimpleNamespace

import pytest

from sessions.initial_tasks import is_done
from sessions.measure_schedule import ASSESSMENT, baseline_missing, due_at, is_due, is_overdue
from sessions.models import NOTE_TASKS, note_fields_for

# (session number, last taken at (ASSESSMENT = 0, None = never), every) -> due?
DUE = [
    (1, None, 1, True),  # never taken: due
    (1, None, 4, True),
    (1, ASSESSMENT, 1, True),  # a baseline at the assessment; PHQ-9 again at session 1
    (1, ASSESSMENT, 4, False),  # GAD-7 every 4th: next at session 4
    (3, ASSESSMENT, 4, False),
    (4, ASSESSMENT, 4, True),
    (4, 1, 4, False),
    (5, 1, 4, True),
    (6, 1, 4, True),  # due at 5 and not taken: still due
    (2, 1, 1, True),
    (3, 2, 2, False),
    (4, 2, 2, True),
    (16, 12, 4, True),
]


@pytest.mark.parametrize(("number", "last", "every", "due"), DUE)
def test_is_due(number, last, every, due):
    assert is_due(number, last, every) is due


@pytest.mark.parametrize("every", [0, 5, -1])
def test_a_schedule_past_every_4_sessions_is_refused(every):
    with pytest.raises(ValueError):
        is_due(1, None, every)


# (latest session held, last taken at, every) -> overdue?
OVERDUE = [
    (None, None, 1, False),  # nothing held
    (1, None, 1, True),
    (1, 1, 1, False),  # taken at the latest session
    (2, 1, 1, True),
    (3, 1, 4, False),
    (5, 1, 4, True),
    (4, ASSESSMENT, 4, True),
    (4, 4, 4, False),
    (4, 3, 1, True),
]


@pytest.mark.parametrize(("last_held", "last", "every", "overdue"), OVERDUE)
def test_is_overdue(last_held, last, every, overdue):
    assert is_overdue(last_held, last, every) is overdue


def _measure(kind, number, pk=None):
    session = SimpleNamespace(number=number, pk=pk or number) if number else None
    return SimpleNamespace(kind=kind, session=session, session_id=session and session.pk)


# (PHQ-9s taken at (0: the assessment), the session signed) -> baseline missing?
BASELINE = [
    ([], 1, False),  # session 1 may be signed before the baseline (IPT: at session 1)
    ([], 2, True),
    ([0], 2, False),
    ([1], 2, False),
    ([2], 2, False),  # session 1 missed: session 2's PHQ-9 is the baseline
    ([3], 2, True),  # one taken later is no baseline for session 2
    ([], 9, True),
    ([5], 9, False),
]


@pytest.mark.parametrize(("taken", "number", "missing"), BASELINE)
def test_baseline_missing(taken, number, missing):
    measures = [_measure("phq9", n) for n in taken] + [_measure("gad7", 0)]
    assert baseline_missing(SimpleNamespace(number=number), measures) is missing


def test_a_gad7_is_no_baseline():
    assert baseline_missing(SimpleNamespace(number=2), [_measure("gad7", 0), _measure("gad7", 1)])


# (PHQ-9 every, GAD-7 every, PHQ-9s before, GAD-7s before, session) -> due kinds
DUE_AT = [
    (1, 4, [], [], 1, ["phq9", "gad7"]),
    (1, 4, [0], [0], 1, ["phq9"]),
    (1, 4, [0, 1, 2, 3], [0], 4, ["phq9", "gad7"]),
    (1, 4, [1, 2, 3, 4], [1], 5, ["phq9", "gad7"]),
    (2, 4, [1], [1], 2, []),
    (2, 4, [1], [1], 3, ["phq9"]),
]


@pytest.mark.parametrize(("phq9_every", "gad7_every", "phq9s", "gad7s", "number", "due"), DUE_AT)
def test_due_at(phq9_every, gad7_every, phq9s, gad7s, number, due):
    clinic = SimpleNamespace(phq9_every_sessions=phq9_every, gad7_every_sessions=gad7_every)
    session = SimpleNamespace(
        number=number, pk=100, course=SimpleNamespace(patient=SimpleNamespace(clinic=clinic))
    )
    measures = [_measure("phq9", n) for n in phq9s] + [_measure("gad7", n) for n in gad7s]
    # One taken at this session is listed as due and taken.
    measures.append(_measure("phq9", number, pk=100))
    found = due_at(session, measures)
    assert [d.kind for d in found] == due
    assert all(not d.outstanding for d in found if d.kind == "phq9")


# (session, planned, initial tasks no other held session did) -> the tasks the note asks for
CATCH_UP = [
    (1, 12, [], list(NOTE_TASKS)),  # the initial phase always asks for all of them
    (3, 12, ["diagnosis_given"], list(NOTE_TASKS)),
    (4, 12, [], []),  # done earlier: not asked again
    (4, 12, list(NOTE_TASKS), list(NOTE_TASKS)),  # sessions 1-3 missed
    (5, 12, ["contract_agreed", "sick_role_explained"], ["sick_role_explained", "contract_agreed"]),
    (11, 12, ["medication_considered"], ["medication_considered"]),  # even in termination
]


@pytest.mark.parametrize(("number", "planned", "outstanding", "asked"), CATCH_UP)
def test_a_note_asks_for_the_initial_tasks_still_to_do(number, planned, outstanding, asked):
    fields = note_fields_for(number, planned, outstanding)
    assert [name for name in fields if name in NOTE_TASKS] == asked
    if number > 3 and asked:
        assert fields[: len(asked)] == asked  # first, before the phase's own fields


@pytest.mark.parametrize(
    ("value", "done"),
    [(True, True), (False, False), ("", False), ("   \n", False), ("Not needed.", True)],
)
def test_a_task_is_done_by_a_tick_or_some_text(value, done):
    assert is_done(value) is done
