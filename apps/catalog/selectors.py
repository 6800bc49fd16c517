"""Reads of services and environments, scoped to the user's teams."""

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.catalog.models import Environment, Service


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


def service_get_for_user(user: User, pk: int) -> Service:
    """The service; 404 when it belongs to a team the user is not in."""
    return permissions.get_for_user(
        Service.objects.select_related("team"),
        user,
        pk,
        team_field="team_id",
        missing="No such service.",
    )


def service_list_for_team(team: Team) -> list[Service]:
    """The team's services by name, each with its environments: two queries."""
    return list(
        Service.objects.filter(team=team)
        .prefetch_related(
            Prefetch("environments", queryset=Environment.objects.order_by("name"))
        )
        .order_by("name")
    )
