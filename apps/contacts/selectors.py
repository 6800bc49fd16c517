"""Contacts and resources that apply to a service, and a team's, for its
settings pages."""

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.catalog.models import Service
from apps.contacts.models import Contact, SupportResource


def contacts_for_service(service: Service) -> QuerySet[Contact]:
    """The service's own contacts and the team-wide ones, in escalation order."""
    return Contact.objects.filter(
        Q(service=service) | Q(service__isnull=True, team_id=service.team_id)
    ).order_by("escalation_order", "role")


def resources_for_service(service: Service) -> QuerySet[SupportResource]:
    return SupportResource.objects.filter(
        Q(service=service) | Q(service__isnull=True, team_id=service.team_id)
    )


def contacts_for_team(team: Team) -> QuerySet[Contact]:
    """Every contact of the team, in escalation order, with its service."""
    return (
        Contact.objects.filter(team=team)
        .select_related("service")
        .order_by("escalation_order", "role", "pk")
    )


def resources_for_team(team: Team) -> QuerySet[SupportResource]:
    return (
        SupportResource.objects.filter(team=team)
        .select_related("service")
        .order_by("kind", "label", "pk")
    )


def contact_get_for_user(user: User, pk: int) -> Contact:
    """The contact; 404 when it belongs to a team the user is not in."""
    return permissions.get_for_user(
        Contact.objects.select_related("team"),
        user,
        pk,
        team_field="team_id",
        missing="No such contact.",
    )


def resource_get_for_user(user: User, pk: int) -> SupportResource:
    return permissions.get_for_user(
        SupportResource.objects.select_related("team"),
        user,
        pk,
        team_field="team_id",
        missing="No such support resource.",
    )
