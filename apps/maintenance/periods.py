"""Periods of recurring maintenance: which day, week or month, and when it is due.

Plain Python: a period is a half-open range of local dates [start, end), and its
checklist is due at local midnight at the end, in the plan's time zone.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CADENCES = ("daily", "weekly", "monthly")


def period(cadence: str, day: date) -> tuple[date, date]:
    """The [start, end) dates of the day, ISO week (Monday first) or month."""
    if cadence == "daily":
        return day, day + timedelta(days=1)
    if cadence == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if cadence == "monthly":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following
    raise ValueError(f"unknown cadence {cadence!r}")


def current(cadence: str, at: datetime, tz: ZoneInfo) -> tuple[date, datetime]:
    """The period containing `at` in the zone: its first day and its due moment."""
    start, end = period(cadence, at.astimezone(tz).date())
    return start, datetime.combine(end, time(0), tzinfo=tz)
