"""Insights: the delivery metrics (DORA and readiness) from the release record."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "apps.insights"
    label = "insights"
    verbose_name = "Delivery insights"
