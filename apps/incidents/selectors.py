"""Reads of incidents, scoped to the user's teams."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from apps.accounts import permissions
from apps.incidents.models import Incident


def incident_list_for_user(user: User) -> QuerySet[Incident]:
    incidents = Incident.objects.select_related(
        "service", "caused_by", "remediated_by"
    ).order_by("-started_at", "-id")
    teams = permissions.team_ids_for(user)
    return incidents if teams is None else incidents.filter(team_id__in=teams)


def incident_get_for_user(user: User, pk: object) -> Incident:
    """The incident; 404 when it belongs to a team the user is not in."""
    return permissions.get_for_user(
        Incident.objects.select_related("service__team"),
        user,
        pk,
        team_field="team_id",
        missing="No such incident.",
    )
