"""Demo: `manage.py seed_demo`, a team with releases to click through (development)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
