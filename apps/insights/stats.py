"""Plain statistics for the delivery metrics: percentiles, weeks, summaries.

No Django: the formulas in docs/metrics.md are these functions.
"""

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile by linear interpolation between closest ranks
    (PostgreSQL's percentile_cont, numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict:
    """Median, p75 and p90 of a sample, and its size."""
    return {
        "median": percentile(values, 0.5),
        "p75": percentile(values, 0.75),
        "p90": percentile(values, 0.9),
        "sample_size": len(values),
    }


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week the moment falls in (in UTC)."""
    moment = moment.astimezone(UTC)
    day = moment.date() - timedelta(days=moment.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def weeks(since: datetime, until: datetime) -> list[datetime]:
    """The Mondays (UTC) of every week that overlaps [since, until)."""
    found, week = [], week_start(since)
    while week < until:
        found.append(week)
        week += timedelta(days=7)
    return found


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def spread(values: Iterable[float | None]) -> dict:
    """A roll-up's distribution over its services: never an average of averages."""
    present = sorted(v for v in values if v is not None)
    return {
        "min": present[0] if present else None,
        "median": percentile(present, 0.5),
        "max": present[-1] if present else None,
        "services": len(present),
    }
