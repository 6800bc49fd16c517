"""Releases: a release, its checklist snapshot, lifecycle and readiness."""

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def reinstall_activity_triggers(sender, using: str, **kwargs) -> None:
    """Put the activity triggers back after a migrate on SQLite.

    SQLite cannot alter most columns in place: Django rebuilds the table, copies
    the rows and drops the old one, and its triggers with it
    (apps/releases/activity.py; migrations 0005, 0007 and 0008 dropped those
    0004 made). Run after every migrate, even one with nothing to apply, this
    also mends a database migrated before. `CREATE TRIGGER IF NOT EXISTS`
    makes it a no-op when they are there. PostgreSQL alters tables in place
    and keeps them. Not on a flush (tests), which sends no plan.
    """
    connection = connections[using]
    apps = kwargs.get("apps")
    if connection.vendor != "sqlite" or kwargs.get("plan") is None or apps is None:
        return
    try:
        release = apps.get_model("releases", "Release")
    except LookupError:  # migrated back before the release table
        return
    if not any(field.name == "activity" for field in release._meta.get_fields()):
        return
    from apps.releases import activity

    with connection.cursor() as cursor:
        for statement in activity.install_sql(connection.vendor):
            cursor.execute(statement)


class ReleasesConfig(AppConfig):
    name = "apps.releases"
    label = "releases"
    verbose_name = "Releases"

    def ready(self) -> None:
        post_migrate.connect(reinstall_activity_triggers, sender=self)
