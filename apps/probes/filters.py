"""Filters of probe configurations, runs and results."""

import django_filters

from apps.core.api import IdFilter
from apps.probes.models import KIND_CHOICES, ProbeConfig, ProbeResult, ProbeRun


class ProbeConfigFilter(django_filters.FilterSet):
    environment = IdFilter(field_name="environment_id")
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES)

    class Meta:
        model = ProbeConfig
        fields: list[str] = []


class ProbeRunFilter(django_filters.FilterSet):
    release = IdFilter(field_name="release_id")
    status = django_filters.ChoiceFilter(choices=ProbeRun.Status.choices)

    class Meta:
        model = ProbeRun
        fields: list[str] = []


class ProbeResultFilter(django_filters.FilterSet):
    run = IdFilter(field_name="run_id")
    release = IdFilter(field_name="run__release_id")
    status = django_filters.ChoiceFilter(choices=ProbeResult.Status.choices)

    class Meta:
        model = ProbeResult
        fields: list[str] = []
