"""Reads of an environment's schedules and check history, scoped to the user."""

from django.contrib.auth.models import User
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from apps.accounts import permissions
from apps.catalog.models import Environment
from apps.monitoring.models import EnvironmentCheck
from apps.probes.models import ProbeConfig

HISTORY = 20


def environment_get_for_user(user: User, pk: int) -> Environment:
    """The environment; 404 when it belongs to a team the user is not in."""
    environments = Environment.objects.select_related("service__team")
    teams = permissions.team_ids_for(user)
    if teams is not None:
        environments = environments.filter(service__team_id__in=teams)
    try:
        return environments.get(pk=pk)
    except Environment.DoesNotExist:
        raise Http404("No such environment.") from None


def config_get_for_user(user: User, pk: int) -> ProbeConfig:
    """A probe configuration of one of the user's teams; 404 otherwise."""
    configs = ProbeConfig.objects.select_related("environment__service__team")
    teams = permissions.team_ids_for(user)
    if teams is not None:
        configs = configs.filter(environment__service__team_id__in=teams)
    try:
        return configs.get(pk=pk)
    except ProbeConfig.DoesNotExist:
        raise Http404("No such probe.") from None


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
