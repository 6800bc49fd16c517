"""Contacts and resources that apply to a service."""

from django.db.models import Q, QuerySet

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
