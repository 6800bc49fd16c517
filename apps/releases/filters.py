"""Filters of release lists, shared by the pages and the API."""

import django_filters

from apps.core.api import IdFilter, MomentFilter
from apps.releases.models import Release


class ReleaseFilter(django_filters.FilterSet):
    """By service, environment, status, version and creation date range."""

    service = IdFilter(field_name="service_id")
    service_slug = django_filters.CharFilter(field_name="service__slug", max_length=120)
    environment = IdFilter(field_name="environment_id")
    environment_name = django_filters.CharFilter(
        field_name="environment__name", max_length=60
    )
    status = django_filters.ChoiceFilter(choices=Release.Status.choices)
    version = django_filters.CharFilter(max_length=64)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Release
        fields: list[str] = []
