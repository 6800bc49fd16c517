"""Probes app: verification probes, their configurations, runs and results."""

from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "apps.probes"
    label = "probes"
    verbose_name = "Probes"
