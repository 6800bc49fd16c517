"""On-call app: weekly rotations per team, with overrides for holidays."""

from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "apps.oncall"
    label = "oncall"
    verbose_name = "On-call"
