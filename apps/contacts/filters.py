"""Filters of contact and support-resource lists."""

import django_filters

from apps.contacts.models import Contact, SupportResource
from apps.core.api import IdFilter


class ContactFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    service = IdFilter(field_name="service_id")

    class Meta:
        model = Contact
        fields: list[str] = []


class SupportResourceFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    service = IdFilter(field_name="service_id")
    kind = django_filters.ChoiceFilter(choices=SupportResource.Kind.choices)

    class Meta:
        model = SupportResource
        fields: list[str] = []
