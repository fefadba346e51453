"""What a course's measures mean (IPT.md, "Outcomes"): one module for every page and report.

A measure's baseline is the first score of the course (taken at the assessment, or at
session 1 when none was); its latest is the last score taken after the baseline. With no
baseline, or no score after it, nothing is measurable yet: a single low score is neither a
response nor a remission.

| outcome | rule |
|---|---|
| caseness | PHQ-9 >= 10; GAD-7 >= 8 |
| response | a drop of 50 % or more from baseline |
| partial response | a drop of 25-49 % |
| remission (PHQ-9) | baseline at caseness and a post-baseline score below 5 |
| reliable improvement / deterioration | a change of >= 6 points on PHQ-9, >= 4 on GAD-7 |
| recovery (NHS TT) | at caseness on PHQ-9 or GAD-7 at baseline, below both at the end |

Pure functions of totals; percentages in integers, so 50 % of 15 is 7.5 and a drop of 7 is
not a response.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

PHQ9, GAD7 = "phq9", "gad7"
CASENESS = {PHQ9: 10, GAD7: 8}
RELIABLE_CHANGE = {PHQ9: 6, GAD7: 4}
REMISSION_BELOW = 5  # PHQ-9
RESPONSE_PERCENT = 50
PARTIAL_RESPONSE_PERCENT = 25


class Scored(Protocol):
    kind: str
    total: int


@dataclass(frozen=True)
class Change:
    """One measure's baseline and latest post-baseline total, and what the change means."""

    kind: str
    baseline: int | None
    latest: int | None

    @property
    def measurable(self) -> bool:
        return self.baseline is not None and self.latest is not None

    @property
    def points(self) -> int | None:
        """Latest minus baseline: negative is better."""
        return self.latest - self.baseline if self.measurable else None

    def _dropped_at_least(self, percent: int) -> bool:
        return (
            self.measurable
            and self.baseline > 0
            and (self.baseline - self.latest) * 100 >= percent * self.baseline
        )

    @property
    def response(self) -> bool:
        return self._dropped_at_least(RESPONSE_PERCENT)

    @property
    def partial_response(self) -> bool:
        return self._dropped_at_least(PARTIAL_RESPONSE_PERCENT) and not self.response

    @property
    def case_at_baseline(self) -> bool:
        return self.baseline is not None and self.baseline >= CASENESS[self.kind]

    @property
    def case_at_end(self) -> bool:
        return self.latest is not None and self.latest >= CASENESS[self.kind]

    @property
    def remission(self) -> bool:
        return (
            self.kind == PHQ9
            and self.measurable
            and self.case_at_baseline
            and self.latest < REMISSION_BELOW
        )

    @property
    def reliable_improvement(self) -> bool:
        return self.measurable and -self.points >= RELIABLE_CHANGE[self.kind]

    @property
    def reliable_deterioration(self) -> bool:
        return self.measurable and self.points >= RELIABLE_CHANGE[self.kind]

    @property
    def label(self) -> str:
        """The headline, the most telling first (deterioration before anything else)."""
        if not self.measurable:
            return "not yet measurable"
        if self.reliable_deterioration:
            return "reliable deterioration"
        if self.remission:
            return "remission"
        if self.response:
            return "response"
        if self.partial_response:
            return "partial response"
        if self.reliable_improvement:
            return "reliable improvement"
        return "no reliable change"

    @property
    def tone(self) -> str:
        """How a page colours the label: good, bad or neutral."""
        if self.label == "reliable deterioration":
            return "bad"
        if self.label in {"remission", "response", "partial response", "reliable improvement"}:
            return "good"
        return "neutral"


@dataclass(frozen=True)
class CourseOutcome:
    phq9: Change
    gad7: Change

    @property
    def recovery(self) -> bool | None:
        """NHS Talking Therapies recovery; None when it does not apply yet: both measures not
        paired, or the patient was not at caseness on either at baseline."""
        if not (self.phq9.measurable and self.gad7.measurable):
            return None
        if not (self.phq9.case_at_baseline or self.gad7.case_at_baseline):
            return None
        return not (self.phq9.case_at_end or self.gad7.case_at_end)

    @property
    def label(self) -> str:
        return self.phq9.label


def change(kind: str, totals: Iterable[int]) -> Change:
    """The Change of a measure from its totals in the order they were taken."""
    totals = list(totals)
    return Change(
        kind=kind,
        baseline=totals[0] if totals else None,
        latest=totals[-1] if len(totals) > 1 else None,
    )


def course_outcome(measures: Iterable[Scored]) -> CourseOutcome:
    """The outcome of a course from its measures, in the order they were taken."""
    measures = list(measures)
    return CourseOutcome(
        phq9=change(PHQ9, [m.total for m in measures if m.kind == PHQ9]),
        gad7=change(GAD7, [m.total for m in measures if m.kind == GAD7]),
    )
