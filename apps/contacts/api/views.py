"""Contacts and support resources over the API, read-only, scoped to the caller's teams.

Changing them is done on the pages, through the contacts services.
"""

from django.db.models import QuerySet

from apps.accounts.permissions import team_ids_for
from apps.contacts.api import serializers
from apps.contacts.filters import ContactFilter, SupportResourceFilter
from apps.contacts.models import Contact, SupportResource
from apps.core.api import ReadOnlyViewSet


class ContactViewSet(ReadOnlyViewSet):
    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilter
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        teams = team_ids_for(self.request.user)
        contacts = Contact.objects.order_by("team_id", "escalation_order", "role", "id")
        return contacts if teams is None else contacts.filter(team_id__in=teams)


class SupportResourceViewSet(ReadOnlyViewSet):
    serializer_class = serializers.SupportResourceSerializer
    filterset_class = SupportResourceFilter
    queryset = SupportResource.objects.none()

    def get_queryset(self) -> QuerySet[SupportResource]:
        teams = team_ids_for(self.request.user)
        resources = SupportResource.objects.order_by("team_id", "kind", "label", "id")
        return resources if teams is None else resources.filter(team_id__in=teams)
