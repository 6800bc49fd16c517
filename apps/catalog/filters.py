"""Filters of service and environment lists."""

import django_filters

from apps.catalog.models import Environment, Service
from apps.core.api import IdFilter


class ServiceFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    slug = django_filters.CharFilter(max_length=120)

    class Meta:
        model = Service
        fields: list[str] = []


class EnvironmentFilter(django_filters.FilterSet):
    service = IdFilter(field_name="service_id")
    name = django_filters.CharFilter(max_length=60)

    class Meta:
        model = Environment
        fields: list[str] = []
