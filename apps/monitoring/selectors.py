"""Reads of an environment's schedules and check history, scoped to the user."""

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from apps.catalog.models import Environment
from apps.monitoring.models import EnvironmentCheck

HISTORY = 20


def monitoring_rows(environment: Environment) -> list[dict]:
    """Per probe: its schedule, latest check, and the last HISTORY checks (oldest
    first), in three queries whatever the number of probes."""
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
    rows = []
    for config in configs:
        checks = history.get(config.pk, [])
        rows.append(
            {
                "config": config,
                "schedule": getattr(config, "schedule", None),
                "latest": checks[0] if checks else None,
                "strip": list(reversed(checks)),
            }
        )
    return rows
