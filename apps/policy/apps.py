"""Policy app: severities, waivers, freezes, verification windows, policy as code."""

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "apps.policy"
    label = "policy"
    verbose_name = "Readiness policy"
