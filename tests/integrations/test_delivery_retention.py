"""Inbound webhook deliveries (GitHub's payloads) are kept for
INBOUND_WEBHOOK_RETENTION_DAYS, then deleted in batches by beat or by
`manage.py prune_deliveries`, each batch with its audit event."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.integrations import services, tasks
from apps.integrations.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def _deliveries(count: int, *, days_old: float, prefix: str) -> None:
    for number in range(count):
        WebhookDelivery.objects.create(
            source="github",
            delivery_id=f"{prefix}-{number}",
            event="deployment_protection_rule",
            payload={"action": "requested", "deployment": {"sha": "0f" * 20}},
        )
    WebhookDelivery.objects.filter(delivery_id__startswith=prefix).update(
        received_at=timezone.now() - timedelta(days=days_old)
    )


def test_deliveries_older_than_the_retention_go_in_batches(settings):
    settings.INBOUND_WEBHOOK_RETENTION_DAYS = 30
    _deliveries(5, days_old=31, prefix="old")
    _deliveries(2, days_old=29, prefix="recent")

    assert services.inbound_deliveries_prune(batch=2) == 5

    left = set(WebhookDelivery.objects.values_list("delivery_id", flat=True))
    assert left == {"recent-0", "recent-1"}
    events = AuditEvent.objects.filter(
        action="integrations.deliveries_pruned"
    ).order_by("seq")
    assert [event.after["deleted"] for event in events] == [2, 2, 1]
    assert {event.after["retention_days"] for event in events} == {30}
    assert all(event.actor_label == "system: retention" for event in events)
    # Nothing is left to prune: no further event.
    assert services.inbound_deliveries_prune() == 0
    assert events.count() == 3


def test_a_retention_of_zero_keeps_every_delivery(settings):
    settings.INBOUND_WEBHOOK_RETENTION_DAYS = 0
    _deliveries(2, days_old=400, prefix="ancient")

    assert services.inbound_deliveries_prune() == 0
    assert WebhookDelivery.objects.count() == 2
    output = StringIO()
    call_command("prune_deliveries", stdout=output)
    assert "every delivery is kept" in output.getvalue()


def test_the_command_and_the_beat_task_prune(settings):
    settings.INBOUND_WEBHOOK_RETENTION_DAYS = 7
    _deliveries(3, days_old=8, prefix="week")
    output = StringIO()

    call_command("prune_deliveries", stdout=output)

    assert "Deleted 3 deliveries received more than 7 days ago." in output.getvalue()
    _deliveries(1, days_old=10, prefix="later")
    tasks.prune_inbound_deliveries.delay()
    assert not WebhookDelivery.objects.exists()
    schedule = django_settings.CELERY_BEAT_SCHEDULE["prune-inbound-deliveries"]
    assert schedule["task"] == "apps.integrations.tasks.prune_inbound_deliveries"


def test_a_pruned_delivery_redelivered_is_worked_on_again(settings):
    """The delivery id guards against double work only while it is kept."""
    settings.INBOUND_WEBHOOK_RETENTION_DAYS = 30
    _deliveries(1, days_old=31, prefix="gone")
    services.inbound_deliveries_prune()

    _delivery, created = services.github_delivery_receive(
        delivery_id="gone-0",
        event="ping",
        payload={"zen": "Keep it logically awesome."},
    )

    assert created
