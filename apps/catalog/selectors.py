"""Reads of services and environments, scoped to the user's teams."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from apps.accounts import permissions
from apps.catalog.models import Environment


def environments_for_user(user: User) -> QuerySet[Environment]:
    environments = Environment.objects.select_related("service__team")
    teams = permissions.team_ids_for(user)
    return (
        environments
        if teams is None
        else environments.filter(service__team_id__in=teams)
    )


def environment_get_for_user(user: User, pk: int) -> Environment:
    """The environment; 404 when it belongs to a team the user is not in."""
    return permissions.get_for_user(
        Environment.objects.select_related("service__team"),
        user,
        pk,
        team_field="service__team_id",
        missing="No such environment.",
    )
