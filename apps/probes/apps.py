"""Probes app: verification probes, their configurations, runs and results."""

from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "apps.probes"
    label = "probes"
    verbose_name = "Probes"

    def ready(self) -> None:
        # Models are loaded only now; the collector reads them at each scrape.
        from apps.core import metrics
        from apps.probes.metrics import ProbeCollector

        metrics.register(ProbeCollector())
