"""Filters of maintenance checklist lists."""

import django_filters

from apps.core.api import IdFilter
from apps.maintenance.models import MaintenanceChecklist


class ChecklistFilter(django_filters.FilterSet):
    environment = IdFilter(field_name="plan__environment_id")
    cadence = django_filters.ChoiceFilter(choices=MaintenanceChecklist.Cadence.choices)

    class Meta:
        model = MaintenanceChecklist
        fields: list[str] = []
