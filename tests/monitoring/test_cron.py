"""The five-field cron matcher, in time zones and across daylight-saving changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from apps.core import cron

BERLIN = ZoneInfo("Europe/Berlin")


def test_every_fifteen_minutes_lands_on_the_next_quarter():
    after = datetime(2026, 5, 4, 10, 7, 30, tzinfo=UTC)
    assert cron.parse("*/15 * * * *").next_after(after, ZoneInfo("UTC")) == datetime(
        2026, 5, 4, 10, 15, tzinfo=UTC
    )


def test_a_match_is_strictly_after_the_given_moment():
    after = datetime(2026, 5, 4, 10, 15, tzinfo=UTC)
    assert cron.parse("15 10 * * *").next_after(after, ZoneInfo("UTC")) == datetime(
        2026, 5, 5, 10, 15, tzinfo=UTC
    )


def test_weekdays_at_nine_in_berlin_skip_the_weekend():
    friday_evening = datetime(2026, 5, 8, 18, 0, tzinfo=UTC)
    expected = datetime(2026, 5, 11, 9, 0, tzinfo=BERLIN)
    assert cron.parse("0 9 * * 1-5").next_after(friday_evening, BERLIN) == expected
    assert expected.astimezone(UTC).hour == 7


def test_local_time_is_kept_across_the_spring_clock_change():
    before_change = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    first = cron.parse("0 9 * * *").next_after(before_change, BERLIN)
    second = cron.parse("0 9 * * *").next_after(first, BERLIN)
    assert first.astimezone(UTC) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_day_of_month_or_weekday_matches_either_like_vixie_cron():
    # The 13th, or any Friday: from Monday 4 May 2026 the first is Friday 8 May.
    after = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    assert cron.parse("0 0 13 * 5").next_after(after, ZoneInfo("UTC")) == datetime(
        2026, 5, 8, 0, 0, tzinfo=UTC
    )


def test_sunday_may_be_written_as_seven():
    after = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    assert cron.parse("30 6 * * 7").next_after(after, ZoneInfo("UTC")) == datetime(
        2026, 5, 10, 6, 30, tzinfo=UTC
    )


def test_the_first_of_each_quarter():
    after = datetime(2026, 4, 2, 0, 0, tzinfo=UTC)
    assert cron.parse("0 6 1 1-12/3 *").next_after(after, ZoneInfo("UTC")) == datetime(
        2026, 7, 1, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "expression",
    ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"],
)
def test_invalid_expressions_are_refused(expression):
    with pytest.raises(cron.CronError):
        cron.parse(expression)


def test_an_impossible_date_never_matches():
    with pytest.raises(cron.CronError, match="never matches"):
        cron.parse("0 0 31 2 *").next_after(datetime(2026, 1, 1, tzinfo=UTC), BERLIN)
