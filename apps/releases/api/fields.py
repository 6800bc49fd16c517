"""API fields naming the caller's releases."""

from typing import Any

from apps.accounts.api.fields import TeamObjectField
from apps.releases.models import Release


def release_field(**kwargs: Any) -> TeamObjectField:
    """A release of the caller's teams, by id."""
    releases = Release.objects.select_related("team", "service", "environment")
    return TeamObjectField(
        queryset=releases, team_field="team_id", noun="release", **kwargs
    )
