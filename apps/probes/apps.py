"""Probes app: verification probes, their configurations, runs and results."""

from django.apps import AppConfig

from apps.core import metrics


class ProbesConfig(AppConfig):
    name = "apps.probes"
    label = "probes"
    verbose_name = "Probes"

    def ready(self) -> None:
        # Imported here: the collector reads models, loaded only now.
        from apps.probes.metrics import ProbeCollector

        metrics.register(ProbeCollector())
