"""Leads add, change, pause and delete their team's webhooks in the page, through
the services the API uses (same checks, same audit events)."""

import re

import pytest
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.notifications import services
from apps.notifications.announcements import announce
from apps.notifications.models import Webhook, WebhookDelivery
from tests.standins.scripted_receiver import Receiver

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks/shipshape"


@pytest.fixture(scope="module")
def receiver():
    """A real HTTP receiver on loopback, answering as scripted."""
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def add(client, team, **extra):
    data = {
        "team": team.pk,
        "name": "Deploys",
        "url": URL,
        "events": ["release.ready", "release.blocked"],
        **extra,
    }
    return client.post("/webhooks/new/", data)


def test_a_lead_adds_a_webhook_and_sees_its_secret_once(client, lead, team):
    client.force_login(lead)
    page = add(client, team)
    assert page.status_code == 200
    webhook = Webhook.objects.get(team=team, name="Deploys")
    assert webhook.events == ["release.blocked", "release.ready"]
    secret = re.search(
        r'id="new-secret" type="text" readonly value="([^"]+)"', page.text
    )
    assert secret and len(secret.group(1)) >= 16
    # Signed with what the page showed; never shown again.
    assert services.sign(secret.group(1), b"{}") == services.sign(
        services.secrets.decrypt(webhook.secret_encrypted), b"{}"
    )
    assert secret.group(1) not in client.get("/webhooks/").text
    event = AuditEvent.objects.get(action="webhook.created")
    assert (event.actor, event.team_id) == (lead, team.pk)


def test_bad_input_is_explained_on_the_field_and_writes_nothing(client, lead, team):
    client.force_login(lead)
    page = add(client, team, url="ftp://nowhere", events=[], secret="short")
    assert page.status_code == 400
    assert (
        "Choose at least one event" in page.text
        or "This field is required" in page.text
    )
    assert not Webhook.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()
    page = add(client, team, url="https://203.0.113.7/hook")
    assert page.status_code == 400
    assert "This URL cannot be used" in page.text
    assert not Webhook.objects.exists()


def test_a_lead_changes_pauses_and_deletes_a_webhook(client, lead, team):
    webhook, _ = services.webhook_create(
        team=team, name="Deploys", url=URL, events=["release.ready"], by=lead
    )
    client.force_login(lead)
    prefix = f"webhook-{webhook.pk}"
    response = client.post(
        f"/webhooks/{webhook.pk}/edit/",
        {
            f"{prefix}-name": "Deploy channel",
            f"{prefix}-url": URL,
            f"{prefix}-events": ["release.ready", "release.overridden"],
            f"{prefix}-slack": "on",
            # active left out: paused
        },
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.slack, webhook.active) == (
        "Deploy channel",
        True,
        False,
    )
    assert webhook.events == ["release.overridden", "release.ready"]
    changed = AuditEvent.objects.get(action="webhook.changed")
    assert changed.before["name"] == "Deploys" and changed.after["active"] is False
    page = client.get("/webhooks/")
    assert "paused" in page.text and "Deploy channel" in page.text
    response = client.post(f"/webhooks/{webhook.pk}/delete/")
    assert response.status_code == 302
    assert not Webhook.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.deleted").count() == 1


def test_engineers_cannot_add_and_other_teams_webhooks_are_not_found(
    client, engineer, outsider, lead, team
):
    webhook, _ = services.webhook_create(
        team=team, name="Deploys", url=URL, events=["release.ready"], by=lead
    )
    client.force_login(engineer)
    page = client.get("/webhooks/")
    assert "Add a webhook" not in page.text and "Deploys" not in page.text
    assert add(client, team, name="Mine").status_code == 403
    client.force_login(outsider)
    assert client.post(f"/webhooks/{webhook.pk}/delete/").status_code == 404
    assert client.post(f"/webhooks/{webhook.pk}/edit/", {}).status_code == 404
    assert Webhook.objects.count() == 1


def test_a_delivery_that_gave_up_is_resent_from_the_page_with_its_id(
    client,
    lead,
    engineer,
    team,
    settings,
    receiver,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_TIMEOUT = 0.5
    webhook, _ = services.webhook_create(
        team=team, name="Deploys", url=receiver.url, events=["release.ready"], by=lead
    )
    receiver.reset(500, 503)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=team.pk, n=1)
    attempts = list(WebhookDelivery.objects.order_by("attempt"))
    assert [a.status for a in attempts] == ["failed", "gave_up"]
    gave_up = attempts[-1]
    client.force_login(lead)
    page = client.get("/webhooks/")
    # Only the attempt that gave up offers a resend.
    assert page.text.count(">Resend<") == 1
    receiver.reset(200)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/deliveries/{gave_up.pk}/resend/")
    assert response.status_code == 302
    [request] = receiver.requests
    assert request["headers"]["X-Shipshape-Delivery"] == str(gave_up.delivery_id)
    resent = WebhookDelivery.objects.order_by("-attempt").first()
    assert (resent.attempt, resent.status) == (3, "succeeded")
    event = AuditEvent.objects.get(action="webhook_delivery.resent")
    assert event.actor == lead and event.after["attempt"] == 3
    # Sent again: a second resend of that attempt is refused, and says why.
    page = client.post(f"/webhooks/deliveries/{gave_up.pk}/resend/", follow=True)
    assert "sent again already" in page.text
    assert WebhookDelivery.objects.count() == 3
    # The API's counterpart refuses alike; an engineer may not resend.
    api = APIClient()
    api.force_authenticate(lead)
    path = f"/api/v1/webhook-deliveries/{gave_up.pk}/resend/"
    answer = api.post(path)
    assert answer.status_code == 400 and "sent again already" in answer.content.decode()
    api.force_authenticate(engineer)
    assert api.post(path).status_code == 404
    assert WebhookDelivery.objects.count() == 3
