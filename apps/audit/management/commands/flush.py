"""`flush`, extended so that test and development databases may empty the audit tables.

Django's test cases for transactional tests flush every table between tests, with
TRUNCATE on PostgreSQL and DELETE on SQLite, which the audit triggers refuse. This
command (it shadows Django's own, as the audit app comes first) opens the audit
maintenance escape hatch for the flush, but only for a test database or with DEBUG
on. Anywhere else the triggers refuse, and the flush rolls back whole.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from apps.audit import appendonly


def disposable(alias: str) -> bool:
    """A database made for tests (Django names them test_…) or for development."""
    name = str(connections[alias].settings_dict["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    return settings.DEBUG or in_memory or Path(name).name.startswith("test_")


class Command(flush.Command):
    def handle(self, **options) -> None:
        if not disposable(options["database"]):
            super().handle(**options)
            return
        with appendonly.maintenance(using=options["database"]):
            super().handle(**options)
