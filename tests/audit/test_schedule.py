"""Beat's audit entries: scheduled verification and the daily head publication."""

import logging

from django.conf import settings

from apps.audit import tasks
from apps.audit.models import AuditEvent, AuditVerification

AUDIT_TASKS = {
    "apps.audit.tasks.verify_audit_chain",
    "apps.audit.tasks.publish_audit_head",
}


def test_beat_runs_verification_and_head_publication():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled >= AUDIT_TASKS


def test_scheduled_verification_records_an_intact_result(chain_of_five):
    tasks.verify_audit_chain.delay()
    outcome = AuditVerification.objects.get()
    assert (outcome.ok, outcome.checked, outcome.head_seq) == (True, 5, 5)
    event = AuditEvent.objects.get(action="audit.verified")
    assert event.after["ok"] is True
    assert event.actor_label == "system: audit verification"


def test_scheduled_verification_alerts_on_a_broken_chain(chain_of_five, tamper, caplog):
    with tamper():
        AuditEvent.objects.filter(seq=2).update(actor_label="mallory")
    with caplog.at_level(logging.ERROR, logger="shipshape.audit"):
        tasks.verify_audit_chain.delay()
    outcome = AuditVerification.objects.get()
    assert (outcome.ok, outcome.broken_seq) == (False, 2)
    assert "AUDIT CHAIN BROKEN at event #2" in caplog.text


def test_head_publication_logs_seq_and_hash(chain_of_five, caplog):
    with caplog.at_level(logging.INFO, logger="shipshape.audit"):
        tasks.publish_audit_head.delay()
    assert f"audit chain head: seq=5 hash={chain_of_five[-1].hash}" in caplog.text
    event = AuditEvent.objects.get(action="audit.head_published")
    assert event.after == {"seq": 5, "hash": chain_of_five[-1].hash}


def test_head_publication_is_sent_to_subscribed_webhooks(chain_of_five, team, lead):
    from apps.notifications import services as notifications
    from apps.notifications.models import WebhookDelivery

    notifications.webhook_create(
        team=team,
        name="head",
        url="http://127.0.0.1:9/hook",
        events=["audit.head_published"],
        by=lead,
    )
    head = AuditEvent.objects.order_by("-seq").first()  # the webhook's own event
    tasks.publish_audit_head.delay()
    delivery = WebhookDelivery.objects.filter(event="audit.head_published").first()
    assert delivery is not None
    assert f'"seq": {head.seq}' in delivery.body
    assert head.hash in delivery.body
