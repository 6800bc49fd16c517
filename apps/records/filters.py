"""Filters of the audit trail and of what is deployed where."""

import django_filters

from apps.audit.models import AuditEvent
from apps.catalog.models import Environment
from apps.core.api import IdFilter, MomentFilter


class AuditEventFilter(django_filters.FilterSet):
    release = IdFilter(field_name="release_id")
    team = IdFilter(field_name="team_id")
    action = django_filters.CharFilter(max_length=80)
    target_type = django_filters.CharFilter(max_length=80)
    target_id = django_filters.CharFilter(max_length=64)
    actor = django_filters.CharFilter(field_name="actor_label", max_length=150)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class DeploymentFilter(django_filters.FilterSet):
    """Environments of the deployments list: by service, by id, by name."""

    service = IdFilter(field_name="service_id")
    environment = IdFilter(field_name="id")
    environment_name = django_filters.CharFilter(field_name="name", max_length=60)

    class Meta:
        model = Environment
        fields: list[str] = []
