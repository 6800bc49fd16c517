"""Integrations: deploy platforms holding a deploy until the verdict is ready."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # A committed change of a release may move its verdict: whatever waits
        # on it (GitHub gates, GitLab deployments and status checks, found in
        # one query) is answered again. Imported here: both modules read models.
        from apps.integrations import services
        from apps.releases import writes

        writes.on_change(services.release_changed)
