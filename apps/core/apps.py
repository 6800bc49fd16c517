"""Core: shared model bases, request context and htmx helpers; no tables."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import celery_context, checks, worker_heartbeat  # noqa: F401
        from config.celery import app

        worker_heartbeat.install(app)
