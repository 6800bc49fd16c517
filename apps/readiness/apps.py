"""Readiness: the verdict on a release, and the pages that show it with the
panels of the apps below (dashboard, history, the release page)."""

from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "apps.readiness"
    label = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        # Apps below ask for the verdict through apps.core.verdict; this app
        # answers. Imported here: the verdict reads models, loaded only now.
        from apps.core import verdict
        from apps.probes import selectors as probe_selectors
        from apps.readiness import readiness

        verdict.provide(
            verdict.Provider(
                readiness=readiness.compute_readiness,
                evidence_snapshot=readiness.evidence_snapshot,
                verified_item_sql=probe_selectors.verified_item_sql,
            )
        )
