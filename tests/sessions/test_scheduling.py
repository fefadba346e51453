from datetime import date, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from sessions.scheduling import first_weekday_on_or_after, weekly_starts
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
    course = open_course(patient, planned=14, start=date(2026, 10, 19))  # a Monday
    sessions = list(course.sessions.order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 15))
    local = [timezone.localtime(s.scheduled_start, LONDON) for s in sessions]
    assert {dt.hour for dt in local} == {10}  # across the end of summer time on 25 October
    assert {dt.weekday() for dt in local} == {0}
    assert local[0].date() == date(2026, 10, 19)
