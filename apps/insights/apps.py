"""Insights: the delivery metrics (DORA and readiness) from the release record."""

from django.apps import AppConfig

from apps.core import metrics


class InsightsConfig(AppConfig):
    name = "apps.insights"
    label = "insights"
    verbose_name = "Delivery insights"

    def ready(self) -> None:
        # Imported here: the collector reads models, loaded only now.
        from apps.insights.gauges import DeliveryCollector

        metrics.register(DeliveryCollector())
