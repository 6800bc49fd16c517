"""Filters of checklist template lists."""

import django_filters

from apps.checklists.models import ChecklistTemplate
from apps.core.api import IdFilter


class TemplateFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(max_length=120)
    team = IdFilter(field_name="team_id")

    class Meta:
        model = ChecklistTemplate
        fields: list[str] = []
