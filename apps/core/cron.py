"""A small five-field cron, evaluated in a time zone: freeze windows and schedules.

Five fields: minute hour day-of-month month day-of-week. Each field takes `*`,
numbers, ranges `a-b`, lists `a,b` and steps `*/n` or `a-b/n`; months and
weekdays also take English abbreviations (jan, mon). Weekday 0 and 7 are
Sunday. As in Vixie cron, when both day-of-month and day-of-week are
restricted a day matches if either does.

Times are wall-clock times of the window's zone. A start that falls in a
daylight-saving gap (02:30 on the spring-forward night) happens an hour later
in wall-clock terms, at the same instant as the pre-transition offset gives;
an ambiguous start on the fall-back night is the first of the two. No Django
here: the parser is plain Python, so it can be tested on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun"]
MONTHS += ["jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names for values starting at `lowest`)
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)
MAX_LENGTH = 100  # what the schedules and freeze windows store
# Days of each month in a leap year: 29 February exists, once in four years.
LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MAX_DURATION = timedelta(days=31)
SEARCH_DAYS = 366 * 5


class CronError(ValueError):
    """The expression is not in the supported subset; the message says why."""


def _value(text: str, name: str, low: int, names: list[str] | None) -> int:
    lowered = text.lower()
    if names and lowered in names:
        return names.index(lowered) + low
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number")
    return int(text)


def _field(text: str, name: str, low: int, high: int, names) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{name}: empty entry in {text!r}")
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = _value(a, name, low, names), _value(b, name, low, names)
        else:
            first = _value(span, name, low, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high):
            raise CronError(f"{name}: {part!r} is outside {low}-{high}")
        if first > last:
            raise CronError(f"{name}: range {part!r} runs backwards")
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday; 7 is folded into 0
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Parse five fields; CronError names the field that is wrong."""
        if len(expression or "") > MAX_LENGTH:
            raise CronError(f"keep the expression under {MAX_LENGTH} characters")
        parts = (expression or "").split()
        if len(parts) != 5:
            raise CronError(
                "use five fields: minute hour day-of-month month day-of-week"
            )
        minutes, hours, days, months, weekdays = (
            _field(text, *spec) for text, spec in zip(parts, FIELDS, strict=True)
        )
        weekdays = frozenset(0 if day == 7 else day for day in weekdays)
        if (
            parts[2] != "*"
            and parts[4] == "*"
            and not any(
                day <= LONGEST_MONTH[month - 1] for month in months for day in days
            )
        ):
            # Only the day of the month restricts the date, and no month has
            # it (30 February): refused here, not found out by searching years.
            raise CronError(
                "the expression never matches: no month in it has "
                f"day {'/'.join(str(d) for d in sorted(days))}"
            )
        return cls(
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_restricted=parts[2] != "*",
            weekdays_restricted=parts[4] != "*",
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_date or by_weekday
        return by_date and by_weekday

    def starts_between(
        self, start: datetime, end: datetime, zone: ZoneInfo
    ) -> list[datetime]:
        """Every matching start t (aware, in `zone`) with start <= t <= end."""
        found = []
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        moment = datetime.combine(day, time(hour, minute), zone)
                        # Normalise through UTC so a gap time gets a real offset.
                        moment = moment.astimezone(UTC).astimezone(zone)
                        if start <= moment <= end:
                            found.append(moment)
            day += timedelta(days=1)
        return sorted(set(found))

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first matching minute strictly after `after`, aware in `zone`."""
        local = after.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
        first = local + timedelta(minutes=1)
        day = first.date()
        for _ in range(SEARCH_DAYS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        wall = datetime.combine(day, time(hour, minute))
                        if wall < first:
                            continue
                        moment = wall.replace(tzinfo=zone).astimezone(UTC)
                        if moment > after:
                            return moment.astimezone(zone)
            day += timedelta(days=1)
        raise CronError("the expression never matches")


def parse(expression: str) -> Cron:
    """Parse an expression such as `*/15 8-18 * * 1-5`; raises CronError."""
    return Cron.parse(expression)


def zone_for(name: str) -> ZoneInfo:
    """The named IANA zone; CronError when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {name!r}") from None


def stored_zone(name: str) -> ZoneInfo:
    """The zone of a row already saved; UTC when this machine does not know it.

    Saving refuses unknown zones, but a stored row can still hold one (a hand
    edit, a zone a newer tzdata renamed): reading it must not break every page
    that shows the row.
    """
    try:
        return zone_for(name)
    except CronError:
        log.warning("unknown stored time zone %r read as UTC", name)
        return ZoneInfo("UTC")


def active_start(
    expression: str, zone_name: str, duration: timedelta, at: datetime
) -> datetime | None:
    """The start of the occurrence in effect at `at`, or None.

    An occurrence covers [start, start + duration): its end is exclusive. A
    stored expression this version refuses (one that never fires, a hand edit)
    has no occurrence; durations are taken up to MAX_DURATION, as saved.
    """
    try:
        cron = Cron.parse(expression)
    except CronError as error:
        log.warning("stored cron %r has no occurrence: %s", expression, error)
        return None
    zone = stored_zone(zone_name)
    duration = min(duration, MAX_DURATION)
    starts = cron.starts_between(at - duration, at, zone)
    live = [s for s in starts if s <= at < s + duration]
    return live[-1] if live else None
