"""A small five-field cron matcher (minute hour day month weekday); no Django.

Fields accept `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists
of those. Weekday 0 and 7 are Sunday. As in Vixie cron, when both day of month
and weekday are restricted, a day matching either one matches.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
NAMES = ("minute", "hour", "day of month", "month", "weekday")
SEARCH_DAYS = 366 * 5


class CronError(ValueError):
    """The expression is not a valid five-field cron expression."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        weekday = (day.weekday() + 1) % 7  # cron counts from Sunday = 0
        by_day, by_weekday = day.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        """The first matching minute strictly after `after`, as an aware datetime."""
        local = after.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
        start = local + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(SEARCH_DAYS):
            if self.day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate < start:
                            continue
                        aware = candidate.replace(tzinfo=tz)
                        if aware > after:
                            return aware
            day += timedelta(days=1)
        raise CronError("the expression never matches")


def _field(text: str, index: int) -> frozenset[int]:
    low, high = BOUNDS[index]
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                first, last = low, high
            elif "-" in body:
                first, last = (int(v) for v in body.split("-", 1))
            else:
                first = last = int(body)
                if step_text:
                    last = high
        except ValueError:
            raise CronError(f"{part!r} is not a valid {NAMES[index]}") from None
        if step < 1 or not low <= first <= last <= high:
            raise CronError(
                f"{part!r} is outside {low}-{high} for the {NAMES[index]} field"
            )
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse(expression: str) -> Cron:
    """Parse an expression such as `*/15 8-18 * * 1-5`; raises CronError."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError("use five fields: minute hour day-of-month month weekday")
    parsed = [_field(text, index) for index, text in enumerate(fields)]
    weekdays = frozenset(v % 7 for v in parsed[4])
    return Cron(
        minutes=parsed[0],
        hours=parsed[1],
        days=parsed[2],
        months=parsed[3],
        weekdays=weekdays,
        any_day=fields[2] == "*",
        any_weekday=fields[4] == "*",
    )
