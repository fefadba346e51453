from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from sessions.scheduling import first_weekday_on_or_after, wall_time_exists, weekly_starts
from tests.conftest import open_course

LONDON = ZoneInfo("Europe/London")


def test_first_session_on_the_usual_weekday():
    assert first_weekday_on_or_after(date(2026, 3, 18), 0) == date(2026, 3, 23)  # Wed -> Mon
    assert first_weekday_on_or_after(date(2026, 3, 23), 0) == date(2026, 3, 23)


def test_weekly_times_keep_local_time_across_summer_time():
    # Europe/London moves to summer time on 29 March 2026.
    starts = weekly_starts(date(2026, 3, 23), time(10, 0), LONDON, 2)
    assert [s.astimezone(LONDON).hour for s in starts] == [10, 10]
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [10, 9]


def test_course_books_its_sessions_in_the_clinic_time_zone(patient):
    with time_machine.travel(datetime(2026, 10, 1, 9, 0, tzinfo=UTC), tick=False):
        course = open_course(patient, planned=14, start=date(2026, 10, 19))  # a Monday
    sessions = list(course.sessions.order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 15))
    local = [timezone.localtime(s.scheduled_start, LONDON) for s in sessions]
    assert {dt.hour for dt in local} == {10}  # across the end of summer time on 25 October
    assert {dt.weekday() for dt in local} == {0}
    assert local[0].date() == date(2026, 10, 19)


@pytest.mark.parametrize(
    ("zone", "day", "at", "exists"),
    [
        ("Europe/London", date(2027, 3, 28), time(1, 30), False),  # clocks go forward
        ("Europe/London", date(2027, 3, 28), time(2, 30), True),
        ("Europe/London", date(2026, 10, 25), time(1, 30), True),  # twice, but it exists
        ("America/New_York", date(2027, 3, 14), time(2, 15), False),
        ("America/New_York", date(2027, 3, 14), time(3, 15), True),
    ],
)
def test_wall_time_exists(zone, day, at, exists):
    assert wall_time_exists(day, at, ZoneInfo(zone)) is exists
