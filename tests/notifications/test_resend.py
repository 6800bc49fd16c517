"""A delivery that gave up can be sent once more by a lead, from the webhooks page
or the API, through one audited service; the receiver is the Standard Webhooks
stand-in (tests/standins/standard_webhooks.py)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts import tokens
from apps.audit.models import AuditEvent
from apps.notifications import services
from apps.notifications.announcements import announce
from apps.notifications.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def gave_up(settings, webhook_receiver, team, lead, release,
            django_capture_on_commit_callbacks):  # fmt: skip
    """A delivery the receiver refused until Shipshape gave up (one attempt)."""
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_TIMEOUT = 2
    services.webhook_create(
        team=team,
        name="receiver",
        url=f"{webhook_receiver.url}/in",
        events=["release.ready"],
        secret=webhook_receiver.secret,
        by=lead,
    )
    webhook_receiver.respond_with(503)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, n=1)
    return WebhookDelivery.objects.get(status="gave_up")


def test_a_lead_resends_a_delivery_that_gave_up_from_the_page(
    gave_up, webhook_receiver, client, lead, django_capture_on_commit_callbacks
):
    client.force_login(lead)
    page = client.get(reverse("notifications:webhooks")).content.decode()
    assert "Resend" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:delivery-resend", args=[gave_up.pk]), follow=True
        )
    assert "Sent again" in response.content.decode()
    first, second = webhook_receiver.wait_for_deliveries(2)
    assert second.verified
    assert first.body == second.body
    assert first.webhook_id == second.webhook_id
    latest = WebhookDelivery.objects.order_by("-id").first()
    assert (latest.status, latest.attempt) == ("succeeded", 2)
    assert AuditEvent.objects.filter(action="webhook_delivery.resent").count() == 1


def test_the_api_resends_once_and_refuses_what_did_not_give_up(
    gave_up, webhook_receiver, lead, engineer, django_capture_on_commit_callbacks
):
    def api(user):
        client = APIClient()
        secret = tokens.token_create(user=user, name="t", expires_at=None)[1]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    url = f"/api/v1/webhook-deliveries/{gave_up.pk}/resend/"
    assert api(engineer).post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api(lead).post(url)
    assert response.status_code == 201
    again = api(lead).post(url)
    assert again.status_code == 400
    assert "sent again already" in str(again.json())
    newest = WebhookDelivery.objects.order_by("-id").first()
    refused = api(lead).post(f"/api/v1/webhook-deliveries/{newest.pk}/resend/")
    assert refused.status_code == 400
    assert WebhookDelivery.objects.count() == 2
