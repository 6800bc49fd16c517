"""Reads of an environment's schedules and check history, scoped to the user."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, Count, F, Q, Window
from django.db.models.functions import RowNumber, Trunc

from apps.catalog.models import Environment
from apps.monitoring.models import EnvironmentCheck

HISTORY = 20
FAILING = ("fail", "error")


@dataclass(frozen=True)
class Period:
    """A trend's span: `buckets` buckets of one `unit` ("hour" or "day"), the
    last of them the current one."""

    label: str
    unit: str
    buckets: int

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.unit == "hour" else timedelta(days=1)

    def start(self, now: datetime) -> datetime:
        now = now.astimezone(UTC)
        current = now.replace(minute=0, second=0, microsecond=0)
        if self.unit == "day":
            current = current.replace(hour=0)
        return current - (self.buckets - 1) * self.step


PERIODS = (Period("24 hours", "hour", 24), Period("30 days", "day", 30))


@dataclass(frozen=True)
class Trend:
    """One probe's checks over a period: uptime (checks that neither failed nor
    errored) and the average latency and failures per bucket, oldest first."""

    period: Period
    checks: int
    failed: int
    latency: tuple[float | None, ...]  # ms; None: no check in that bucket
    failures: tuple[int, ...]

    @property
    def uptime(self) -> float | None:
        """Percent of checks up, or None without checks."""
        if not self.checks:
            return None
        return 100 * (self.checks - self.failed) / self.checks


def trends(
    environment: Environment, config_ids: list[int], now: datetime
) -> dict[int, list[Trend]]:
    """Per probe (`config_ids`, of the environment), a Trend for each of
    PERIODS: one grouped query per period, whatever the number of probes and
    checks."""
    found: dict[int, list[Trend]] = {}
    for period in PERIODS:
        start = period.start(now)
        rows = (
            EnvironmentCheck.objects.filter(
                environment=environment, scheduled_for__gte=start
            )
            .annotate(bucket=Trunc("scheduled_for", period.unit, tzinfo=UTC))
            .values("config_id", "bucket")
            .annotate(
                checks=Count("id"),
                failed=Count("id", filter=Q(status__in=FAILING)),
                latency=Avg("duration_ms"),
            )
            .order_by()
        )
        buckets: dict[int, dict[int, dict]] = {}
        for row in rows:
            index = round((row["bucket"] - start) / period.step)
            if 0 <= index < period.buckets:
                buckets.setdefault(row["config_id"], {})[index] = row
        for config_id in config_ids:
            by_index = buckets.get(config_id, {})
            series = [by_index.get(index) for index in range(period.buckets)]
            found.setdefault(config_id, []).append(
                Trend(
                    period=period,
                    checks=sum(row["checks"] for row in by_index.values()),
                    failed=sum(row["failed"] for row in by_index.values()),
                    latency=tuple(row and row["latency"] for row in series),
                    failures=tuple(row["failed"] if row else 0 for row in series),
                )
            )
    return found


def monitoring_rows(environment: Environment, now: datetime) -> list[dict]:
    """Per probe: its schedule, latest check, the last HISTORY checks (oldest
    first) and its trends, in a fixed number of queries whatever the number of
    probes and checks."""
    configs = list(
        environment.probe_configs.select_related("schedule").order_by("name")
    )
    ranked = (
        EnvironmentCheck.objects.filter(environment=environment)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("config_id")],
                order_by=[F("scheduled_for").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=HISTORY)
        .defer("observed")
    )
    history: dict[int, list[EnvironmentCheck]] = {}
    for check in ranked:
        history.setdefault(check.config_id, []).append(check)
    by_config = trends(environment, [config.pk for config in configs], now)
    rows = []
    for config in configs:
        checks = history.get(config.pk, [])
        rows.append(
            {
                "config": config,
                "schedule": getattr(config, "schedule", None),
                "latest": checks[0] if checks else None,
                "strip": list(reversed(checks)),
                "trends": by_config.get(config.pk, []),
            }
        )
    return rows
