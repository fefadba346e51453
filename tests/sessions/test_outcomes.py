"""What a course's measures mean: a table of trajectories with their edge cases (IPT.md,
"Outcomes")."""

from types import SimpleNamespace

import pytest

from sessions.outcomes import change, course_outcome

R, P, M, IMP, D = "response", "partial", "remission", "improvement", "deterioration"

# PHQ-9 totals in the order taken -> (headline, the outcomes that hold)
PHQ9_TRAJECTORIES = [
    ([], "not yet measurable", set()),
    ([14], "not yet measurable", set()),  # a baseline alone: nothing measured after it
    ([4], "not yet measurable", set()),  # the false "remission" of a low baseline alone
    ([4, 4], "no reliable change", set()),  # low at baseline: never remission
    ([9, 2], "response", {R, IMP}),  # below caseness at baseline: a response, not remission
    ([10, 4], "remission", {M, R, IMP}),  # caseness exactly, below 5 at the end
    ([10, 5], "response", {R}),  # 5 is not below 5; a drop of 5 is not reliable
    ([20, 10], "response", {R, IMP}),  # exactly 50 %
    ([20, 11], "partial response", {P, IMP}),  # 45 %
    ([20, 15], "partial response", {P}),  # exactly 25 %, a drop of 5: not reliable
    ([20, 16], "no reliable change", set()),  # 20 %
    ([15, 8], "partial response", {P, IMP}),  # 7 of 15 is 46.7 %: integers, not rounded up
    ([12, 6], "response", {R, IMP}),  # exactly 6 points and exactly 50 %
    ([12, 7], "partial response", {P}),  # 5 points: not reliable
    ([8, 14], "reliable deterioration", {D}),  # exactly 6 points worse
    ([8, 13], "no reliable change", set()),
    ([0, 0], "no reliable change", set()),  # no drop is possible from 0
    ([0, 6], "reliable deterioration", {D}),
    ([22, 18, 9, 3], "remission", {M, R, IMP}),  # the last score counts, not the best
    ([22, 3, 9, 18], "no reliable change", set()),  # improved, then relapsed: 4 points
    ([21, 3, 9, 27], "reliable deterioration", {D}),  # 6 points above the baseline
    ([27, 0], "remission", {M, R, IMP}),
]


@pytest.mark.parametrize(("totals", "headline", "holds"), PHQ9_TRAJECTORIES)
def test_phq9_trajectory(totals, headline, holds):
    outcome = change("phq9", totals)
    assert outcome.label == headline
    assert {
        name
        for name, held in {
            R: outcome.response,
            P: outcome.partial_response,
            M: outcome.remission,
            IMP: outcome.reliable_improvement,
            D: outcome.reliable_deterioration,
        }.items()
        if held
    } == holds


GAD7_TRAJECTORIES = [
    ([12, 8], "partial response", {P, IMP}),  # 4 points is reliable on GAD-7
    ([12, 9], "partial response", {P}),  # 25 %, 3 points
    ([10, 5], "response", {R, IMP}),
    ([4, 8], "reliable deterioration", {D}),
    ([15, 2], "response", {R, IMP}),  # GAD-7 has no remission rule
]


@pytest.mark.parametrize(("totals", "headline", "holds"), GAD7_TRAJECTORIES)
def test_gad7_trajectory(totals, headline, holds):
    outcome = change("gad7", totals)
    assert outcome.label == headline
    assert not outcome.remission
    assert outcome.reliable_improvement == (IMP in holds)
    assert outcome.reliable_deterioration == (D in holds)
    assert outcome.partial_response == (P in holds)


def measures(phq9: list[int], gad7: list[int]):
    taken = [SimpleNamespace(kind="phq9", total=t) for t in phq9]
    taken += [SimpleNamespace(kind="gad7", total=t) for t in gad7]
    return taken


# (PHQ-9 totals, GAD-7 totals) -> recovery (None: not applicable yet)
RECOVERY = [
    (([15, 6], [10, 5]), True),
    (([15, 9], [10, 7]), True),  # both just below caseness (10 and 8)
    (([15, 10], [10, 5]), False),  # PHQ-9 still at caseness
    (([15, 6], [10, 8]), False),  # GAD-7 still at caseness
    (([8, 4], [12, 6]), True),  # a case on GAD-7 alone at baseline
    (([8, 4], [6, 3]), None),  # not a case at baseline on either: recovery does not apply
    (([15, 6], [10]), None),  # GAD-7 not measured after baseline
    (([15, 6], []), None),  # GAD-7 never measured
    (([15], [10, 5]), None),  # PHQ-9 not measured after baseline
]


@pytest.mark.parametrize(("totals", "recovery"), RECOVERY)
def test_recovery(totals, recovery):
    assert course_outcome(measures(*totals)).recovery is recovery


def test_the_course_headline_is_the_phq9_one_in_the_order_taken():
    outcome = course_outcome(measures([16, 12, 7], [9, 9]))
    assert (outcome.phq9.baseline, outcome.phq9.latest) == (16, 7)
    assert outcome.label == "response"
    assert outcome.gad7.label == "no reliable change"
