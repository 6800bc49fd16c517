"""Readiness: the verdict on a release, and the pages that show it with the
panels of the apps below (dashboard, history, the release page)."""

from django.apps import AppConfig

from apps.core import verdict


class ReadinessConfig(AppConfig):
    name = "apps.readiness"
    label = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        # Apps below ask for the verdict through apps.core.verdict; this app
        # answers. Imported here: the port reads models, loaded only now.
        from apps.readiness import port

        verdict.provide(port.PROVIDER)
