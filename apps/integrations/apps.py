"""Integrations: deploy platforms holding a deploy until the verdict is ready."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # A committed change of a release may move its verdict: the gates waiting
        # on it are answered again. Imported here: both modules read models.
        from apps.integrations import services
        from apps.releases import writes

        writes.on_change(services.gate_release_changed)
        writes.on_change(services.gitlab_release_changed)
        writes.on_change(services.gitlab_status_checks_changed)
