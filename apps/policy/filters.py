"""Filters of the policy's API lists."""

import django_filters

from apps.core.api import IdFilter
from apps.policy.models import VerificationWindow


class VerificationWindowFilter(django_filters.FilterSet):
    release = IdFilter(field_name="release_id")
    service = IdFilter(field_name="release__service_id")
    environment = IdFilter(field_name="release__environment_id")
    outcome = django_filters.ChoiceFilter(choices=VerificationWindow.Outcome.choices)

    class Meta:
        model = VerificationWindow
        fields: list[str] = []
