"""`prune_deliveries`: apply INBOUND_WEBHOOK_RETENTION_DAYS now (beat runs hourly)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.integrations import services


class Command(BaseCommand):
    help = (
        "Delete inbound webhook deliveries (GitHub's payloads) older than "
        "INBOUND_WEBHOOK_RETENTION_DAYS, in batches."
    )

    def handle(self, *args, **options) -> None:
        days = settings.INBOUND_WEBHOOK_RETENTION_DAYS
        if not days:
            self.stdout.write(
                "INBOUND_WEBHOOK_RETENTION_DAYS is 0: every delivery is kept."
            )
            return
        pruned = services.inbound_deliveries_prune()
        self.stdout.write(
            f"Deleted {pruned} deliveries received more than {days} days ago."
        )
