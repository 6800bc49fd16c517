"""Filters of the audit trail."""

import django_filters

from apps.audit.models import AuditEvent
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
