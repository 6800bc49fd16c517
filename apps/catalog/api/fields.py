"""API fields naming the caller's environments."""

from typing import Any

from apps.accounts.api.fields import TeamObjectField
from apps.catalog.models import Environment


def environment_field(**kwargs: Any) -> TeamObjectField:
    """An environment of the caller's teams' services, by id."""
    return TeamObjectField(
        queryset=Environment.objects.select_related("service__team"),
        team_field="service__team_id",
        noun="environment",
        **kwargs,
    )
