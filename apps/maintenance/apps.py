"""Maintenance app: recurring daily, weekly and monthly checklists per environment."""

from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "apps.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance"
