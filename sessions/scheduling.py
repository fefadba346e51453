"""Weekly appointment times in the clinic's time zone (pure functions, DST-safe)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def first_weekday_on_or_after(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def weekly_starts(first_day: date, at: time, zone: ZoneInfo, count: int) -> list[datetime]:
    """`count` appointments a week apart, each at the same local wall-clock time.

    Each one is built from its local date, so a change to or from summer time keeps the
    appointment at 10:00 local rather than drifting to 09:00 or 11:00.
    """
    return [datetime.combine(first_day + timedelta(weeks=n), at, tzinfo=zone) for n in range(count)]


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def wall_time_exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """False for a local time skipped when the clocks go forward (01:30 on the night a clock
    jumps from 01:00 to 02:00): such a time would silently become another one."""
    moment = datetime.combine(day, at, tzinfo=zone)
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == datetime.combine(day, at)
