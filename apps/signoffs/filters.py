"""Filters of sign-off lists."""

import django_filters

from apps.core.api import IdFilter
from apps.signoffs.models import SignOff


class SignOffFilter(django_filters.FilterSet):
    release = IdFilter(field_name="release_id")
    role_key = django_filters.CharFilter(max_length=60)
    decision = django_filters.ChoiceFilter(choices=SignOff.Decision.choices)

    class Meta:
        model = SignOff
        fields: list[str] = []
