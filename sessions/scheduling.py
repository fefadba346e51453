"""Weekly appointment times in the clinic's time zone (pure functions, DST-safe)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from ipt_clinic.validation import date_outside, years_after


def days_after(day: date, days: int) -> date:
    """`day` moved by `days`. Past the calendar's ends (years 1 and 9999) this is a refusal
    to book, not an OverflowError: validation keeps dates far from them, this is the last
    guard."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise ValidationError(
            "Sessions cannot be booked that far from today: choose a nearer date."
        ) from None


def session_day_outside(day: date, *, today: date) -> str | None:
    """Refuse a day to move a session to unless it falls from a year ago (a session recorded
    late) to two years ahead (the last session of a course starting a year from now)."""
    return date_outside(
        day,
        years_after(today, -1),
        years_after(today, 2),
        rule="A session moves to a day from a year ago to two years ahead:",
        today=today,
    )


def first_weekday_on_or_after(start: date, weekday: int) -> date:
    return days_after(start, (weekday - start.weekday()) % 7)


def weekly_starts(first_day: date, at: time, zone: ZoneInfo, count: int) -> list[datetime]:
    """`count` appointments a week apart, each at the same local wall-clock time.

    Each one is built from its local date, so a change to or from summer time keeps the
    appointment at 10:00 local rather than drifting to 09:00 or 11:00.
    """
    return [datetime.combine(days_after(first_day, 7 * n), at, tzinfo=zone) for n in range(count)]


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def wall_time_exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """False for a local time skipped when the clocks go forward (01:30 on the night a clock
    jumps from 01:00 to 02:00): such a time would silently become another one."""
    moment = datetime.combine(day, at, tzinfo=zone)
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == datetime.combine(day, at)
