"""Shared by the limit tests of every app: the edges of a date window, the words refusing a
text that is too long."""

from datetime import date, timedelta

import pytest

# (side, days from that bound, accepted): the last good and the first bad day on both sides.
# The bounds depend on today and on the test's objects, so a test computes them itself.
WINDOW_EDGES = [
    pytest.param("earliest", -1, False, id="day-before-the-earliest"),
    pytest.param("earliest", 0, True, id="earliest-day"),
    pytest.param("latest", 0, True, id="latest-day"),
    pytest.param("latest", 1, False, id="day-after-the-latest"),
]


def edge_day(earliest: date, latest: date, side: str, offset: int) -> date:
    return (earliest if side == "earliest" else latest) + timedelta(days=offset)


def too_long(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."
