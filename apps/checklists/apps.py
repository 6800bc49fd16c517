"""Checklists: versioned templates, their items and sign-off roles."""

from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "apps.checklists"
    label = "checklists"
    verbose_name = "Checklists"
