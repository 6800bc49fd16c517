"""The dates people may type: years 2000 to 2100, and windows that end after starting.

No release, freeze, waiver, override, token or filter of Shipshape needs a
date outside this century, and the edges of the calendar are where Python and
PostgreSQL disagree: 0001-01-01T00:00+14:00 is year 0 in UTC, which PostgreSQL
stores and Python cannot read back (see apps.core.dbtime), and an offset over
±15:59 is valid Python that PostgreSQL refuses. Every service that takes a
date checks it here, so the person gets a sentence naming the field instead of
a 500. Accepted moments come back in UTC, with an offset PostgreSQL takes.
"""

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
EARLIEST = datetime.combine(FIRST_DAY, time.min, tzinfo=UTC)
LATEST = datetime.combine(LAST_DAY, time.max, tzinfo=UTC)
SPAN = f"between {FIRST_DAY:%Y-%m-%d} and {LAST_DAY:%Y-%m-%d}"


def _moment_error(value: datetime) -> str | None:
    if timezone.is_naive(value):
        return _day_error(value.date())
    # Aware comparisons work for any offset; converting first could overflow.
    return None if EARLIEST <= value <= LATEST else f"Give a date {SPAN}."


def _day_error(value: date) -> str | None:
    return None if FIRST_DAY <= value <= LAST_DAY else f"Give a day {SPAN}."


def moment_check(value: datetime, *, field: str) -> datetime:
    """`value` in UTC if it falls in 2000-2100; ValidationError naming `field`."""
    if message := _moment_error(value):
        raise ValidationError({field: message})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)


def day_check(value: date, *, field: str) -> date:
    """`value` if it falls in 2000-2100; ValidationError naming `field`."""
    if message := _day_error(value):
        raise ValidationError({field: message})
    return value


class InSpan:
    """A form field mixin: a date or moment outside 2000-2100 is invalid input.

    For filters and forms, so a query for the year 1 is a message, not a search.
    """

    def validate(self, value: date | datetime | None) -> None:
        super().validate(value)  # type: ignore[misc]
        if value in (None, ""):
            return
        if isinstance(value, datetime):
            message = _moment_error(value)
        else:
            message = _day_error(value)
        if message:
            raise ValidationError(message, code="out_of_span")


class DayField(InSpan, forms.DateField):
    """A day between 2000-01-01 and 2100-12-31."""


class MomentField(InSpan, forms.DateTimeField):
    """A moment (ISO 8601, with or without an offset) in 2000-2100."""


def window_check(
    starts_at: datetime,
    ends_at: datetime,
    *,
    longest: timedelta,
    starts_field: str = "starts_at",
    ends_field: str = "ends_at",
) -> tuple[datetime, datetime]:
    """Both ends in 2000-2100, the end after the start, at most `longest` apart."""
    errors, moments = {}, []
    for name, value in ((starts_field, starts_at), (ends_field, ends_at)):
        try:
            moments.append(moment_check(value, field=name))
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    starts_at, ends_at = moments
    if ends_at <= starts_at:
        raise ValidationError({ends_field: "End after the start."})
    if ends_at - starts_at > longest:
        raise ValidationError({ends_field: f"Span at most {longest.days} days."})
    return starts_at, ends_at
