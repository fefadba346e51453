import pytest

from sessions.phases import Phase, phase_for, should_raise_termination

EXPECTED_MIDDLE = {12: (4, 9), 13: (4, 10), 14: (4, 11), 15: (4, 12), 16: (4, 13)}


@pytest.mark.parametrize("planned", range(12, 17))
def test_phases_for_every_planned_length(planned):
    first_middle, last_middle = EXPECTED_MIDDLE[planned]
    phases = [phase_for(n, planned) for n in range(1, planned + 1)]
    assert phases[:3] == [Phase.INITIAL] * 3
    assert phases[first_middle - 1 : last_middle] == [Phase.MIDDLE] * (last_middle - 3)
    assert phases[-3:] == [Phase.TERMINATION] * 3
    assert len(phases) == planned


def test_contract_change_shifts_the_phases():
    assert phase_for(10, 12) == Phase.TERMINATION
    assert phase_for(10, 14) == Phase.MIDDLE  # renegotiated 12 -> 14
    assert phase_for(14, 16) == Phase.TERMINATION
    assert phase_for(13, 16) == Phase.MIDDLE


@pytest.mark.parametrize(("number", "planned"), [(0, 12), (13, 12), (1, 11), (1, 17)])
def test_out_of_range_is_refused(number, planned):
    with pytest.raises(ValueError):
        phase_for(number, planned)


@pytest.mark.parametrize(("planned", "first_prompted"), [(12, 8), (16, 12)])
def test_termination_is_raised_from_session_n_minus_4(planned, first_prompted):
    assert not should_raise_termination(first_prompted - 1, planned)
    assert should_raise_termination(first_prompted, planned)


# (sessions whose note raised the end, highest session held or missed, old N, new N) -> warns?
CONTRACT_CHANGES = [
    ([9], 9, 12, 16, "no longer counts"),  # N-4 of 16 is 12: session 9 is too early now
    ([12], 12, 12, 16, None),  # still from N-4 of 16 on
    ([], 9, 16, 12, "has not been discussed yet"),  # shorter: N-4 = 8 already passed
    ([], 6, 16, 12, None),  # shorter, but N-4 = 8 not reached yet
    ([9], 9, 16, 12, None),  # discussed at 9, N-4 of 12 is 8: counts
    ([4], 10, 12, 14, "has not been discussed yet"),  # too early under both
]


@pytest.mark.parametrize(("raised", "happened", "old", "new", "warning"), CONTRACT_CHANGES)
def test_contract_change_warnings(raised, happened, old, new, warning):
    from sessions.phases import contract_change_warnings

    warnings = contract_change_warnings(raised, happened, old, new)
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0]
