"""Core: shared model bases, request context and htmx helpers; no tables.

Also the admin's app config, which installs the superusers-only admin site.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import (  # noqa: F401
            celery_context,
            checks,
            dbtime,
            worker_heartbeat,
        )
        from config.celery import app

        worker_heartbeat.install(app)
        dbtime.install()


class OperatorAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with `OperatorAdminSite` as `admin.site`."""

    default = False  # "apps.core" in INSTALLED_APPS still means CoreConfig
    default_site = "apps.core.admin_mixins.OperatorAdminSite"
