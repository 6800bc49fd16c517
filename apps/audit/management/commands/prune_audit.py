"""`prune_audit`: apply AUDIT_RETENTION_DAYS, keeping the chain verifiable.

Needs DELETE on the audit table, which the app's own role does not have: run it
under the maintenance role, for example from a nightly CronJob (docs/audit.md).
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.audit import services


class Command(BaseCommand):
    help = "Delete audit events older than AUDIT_RETENTION_DAYS (never by default)."

    def handle(self, *args, **options) -> None:
        if not settings.AUDIT_RETENTION_DAYS:
            self.stdout.write("AUDIT_RETENTION_DAYS is not set: every event is kept.")
            return
        anchor = services.audit_prune()
        if anchor is None:
            self.stdout.write("Nothing is older than the retention period.")
            return
        self.stdout.write(
            f"Pruned {anchor.pruned} events through #{anchor.seq}; the chain now "
            f"starts after {anchor.hash}."
        )
