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
        # Imported once the apps are loaded: they connect signals and register
        # checks. The worker heartbeat is installed by config/celery.py.
        from apps.core import celery_context, checks, dbtime  # noqa: F401

        dbtime.install()


class OperatorAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with `OperatorAdminSite` as `admin.site`."""

    default = False  # "apps.core" in INSTALLED_APPS still means CoreConfig
    default_site = "apps.core.admin_mixins.OperatorAdminSite"
