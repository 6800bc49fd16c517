"""Incidents: what went wrong in production, and which release caused or fixed it."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "apps.incidents"
    label = "incidents"
    verbose_name = "Incidents"
