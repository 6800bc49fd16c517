"""Webhooks delivered to a real HTTP receiver on loopback.

Celery runs eagerly here (tests/conftest.py): a delivery and each retry it
schedules execute synchronously, one after another, with the backoff countdown
ignored, so a whole retry sequence finishes inside the test.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError

from apps.notifications import services
from apps.notifications.announcements import announce
from apps.notifications.models import Webhook, WebhookDelivery
from apps.releases import services as release_services
from tests.api.conftest import make_ready
from tests.standins.scripted_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def webhook_settings(settings):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_TIMEOUT = 0.5
    return settings


SECRET = "a-shared-secret-of-some-length"


@pytest.fixture
def webhook(webhook_settings, receiver, team, lead) -> Webhook:
    hook, _secret = services.webhook_create(
        team=team,
        name="deploy bot",
        url=receiver.url,
        events=["release.ready", "signoff.recorded", "release.blocked"],
        secret=SECRET,
        by=lead,
    )
    return hook


def test_a_ready_release_is_announced_with_a_valid_signature(
    webhook, receiver, release, lead, django_capture_on_commit_callbacks
):
    make_ready(release, lead)
    receiver.reset(200)
    WebhookDelivery.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_transition(release=release, target="ready", by=lead)

    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert hmac.compare_digest(headers["X-Shipshape-Signature"], f"sha256={expected}")
    assert headers["X-Shipshape-Event"] == "release.ready"
    assert headers["X-Shipshape-Delivery"] == payload["delivery_id"]
    assert payload["event"] == "release.ready"
    assert payload["data"]["release"]["id"] == release.pk
    assert payload["data"]["release"]["version"] == "1.0.0"
    [row] = WebhookDelivery.objects.all()
    assert (row.status, row.response_status, row.attempt) == ("succeeded", 200, 1)


def test_a_signature_over_another_body_does_not_verify(
    webhook, receiver, release, lead, django_capture_on_commit_callbacks
):
    receiver.reset(200)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, n=1)

    [request] = receiver.requests
    tampered = request["body"].replace(b'"n": 1', b'"n": 2')
    forged = hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Shipshape-Signature"] != f"sha256={forged}"


def test_a_receiver_failing_twice_gets_exactly_one_successful_delivery(
    webhook, receiver, release, lead, django_capture_on_commit_callbacks
):
    receiver.reset(500, 500, 200)

    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, attempt="me")

    rows = list(WebhookDelivery.objects.order_by("attempt"))
    assert [row.status for row in rows] == ["failed", "failed", "succeeded"]
    assert [row.response_status for row in rows] == [500, 500, 200]
    assert len({row.delivery_id for row in rows}) == 1
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Shipshape-Delivery"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1


def test_a_receiver_that_never_answers_is_given_up_after_the_bound(
    webhook, receiver, release, django_capture_on_commit_callbacks
):
    receiver.reset("hang", "hang", "hang", 200)

    with django_capture_on_commit_callbacks(execute=True):
        announce("signoff.recorded", team_id=release.team_id)

    rows = list(WebhookDelivery.objects.order_by("attempt"))
    assert [row.status for row in rows] == ["failed", "failed", "gave_up"]
    assert all(row.error == "no answer within 0.5 s" for row in rows)
    assert all(row.response_status is None for row in rows)
    assert len(receiver.requests) == 3


def test_retries_wait_exponentially_longer(webhook_settings):
    webhook_settings.WEBHOOK_BACKOFF_SECONDS = 30

    assert [services.backoff(attempt) for attempt in (1, 2, 3, 4)] == [
        30,
        60,
        120,
        240,
    ]


def test_a_delivery_is_not_sent_twice_when_its_task_is_redelivered(
    webhook, receiver, release, django_capture_on_commit_callbacks
):
    receiver.reset(200)
    with django_capture_on_commit_callbacks(execute=True):
        [row_id] = announce("release.ready", team_id=release.team_id).deliveries

    again = services.webhook_deliver(delivery_id=row_id)

    assert again == "succeeded"
    assert len(receiver.requests) == 1


def test_only_subscribed_events_are_delivered(
    webhook, receiver, release, django_capture_on_commit_callbacks
):
    receiver.reset()
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.deployed", team_id=release.team_id)

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_blocked_item_and_a_sign_off_are_announced(
    webhook, receiver, release, engineer, django_capture_on_commit_callbacks
):
    receiver.reset(200, 200)
    item = next(item for item in release.items.all() if item.gates_readiness)
    role = release.signoff_roles[0]["key"]

    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_item_set_state(
            item=item, state="blocked", note="waiting for DBA", by=engineer
        )
    with django_capture_on_commit_callbacks(execute=True):
        from apps.signoffs import services as signoff_services

        signoff_services.signoff_record(
            release=release, role_key=role, decision="approve", by=engineer
        )

    events = [r["headers"]["X-Shipshape-Event"] for r in receiver.requests]
    assert events == ["release.blocked", "signoff.recorded"]
    signoff = json.loads(receiver.requests[1]["body"])["data"]
    assert (signoff["role"], signoff["decision"]) == (role, "approve")


def test_nothing_is_sent_when_the_change_rolls_back(
    webhook, receiver, release, django_capture_on_commit_callbacks
):
    from django.db import transaction

    receiver.reset(200)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                announce("release.ready", team_id=release.team_id)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_slack_webhook_gets_a_text_field(
    webhook_settings, receiver, team, lead, release, django_capture_on_commit_callbacks
):
    services.webhook_create(
        team=team,
        name="chat",
        url=receiver.url,
        events=["release.deployed"],
        slack=True,
        by=lead,
    )
    receiver.reset(200)

    with django_capture_on_commit_callbacks(execute=True):
        announce(
            "release.deployed",
            team_id=release.team_id,
            release=release,
            by=lead.username,
        )

    body = json.loads(receiver.requests[0]["body"])
    assert list(body) == ["text"]
    assert body["text"] == (
        f"[release.deployed] {release.service.name} 1.0.0 → staging was deployed"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/hook",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
    ],
)
def test_urls_the_egress_policy_refuses_cannot_be_saved(
    webhook_settings, team, lead, url
):
    with pytest.raises(ValidationError) as error:
        services.webhook_create(
            team=team, name="x", url=url, events=["release.ready"], by=lead
        )

    assert "url" in error.value.message_dict


def test_a_name_resolving_to_a_refused_address_is_not_contacted(
    webhook, receiver, release, webhook_settings, django_capture_on_commit_callbacks
):
    Webhook.objects.update(url=receiver.url.replace("127.0.0.1", "localhost"))
    webhook_settings.PROBE_ALLOWED_NETWORKS = []
    receiver.reset(200)

    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id)

    [row] = WebhookDelivery.objects.all()
    assert row.status == "gave_up"
    assert row.error.startswith("blocked: localhost resolves to ")
    assert receiver.requests == []


def test_the_secret_is_stored_encrypted(webhook):
    stored = Webhook.objects.get(pk=webhook.pk).secret_encrypted

    assert SECRET not in stored
    assert services.secrets.decrypt(stored) == SECRET


# The webhooks API


def test_a_lead_adds_a_webhook_and_sees_its_secret_once(
    webhook_settings, client_for, lead, team, receiver
):
    client = client_for(lead)

    created = client.post(
        "/api/v1/webhooks/",
        {
            "team": team.pk,
            "name": "ci",
            "url": receiver.url,
            "events": ["probe.failed"],
        },
        format="json",
    )
    listed = client.get("/api/v1/webhooks/")

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert listed.json()["results"][0]["name"] == "ci"
    assert "secret" not in listed.json()["results"][0]
    assert created.json()["secret"] not in listed.content.decode()


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_add_webhooks(
    webhook_settings, client_for, team, receiver, role, request
):
    response = client_for(request.getfixturevalue(role)).post(
        "/api/v1/webhooks/",
        {
            "team": team.pk,
            "name": "ci",
            "url": receiver.url,
            "events": ["probe.failed"],
        },
        format="json",
    )

    assert response.status_code == 403
    assert not Webhook.objects.exists()


def test_leads_see_every_delivery_attempt_and_engineers_do_not(
    webhook,
    receiver,
    release,
    client_for,
    lead,
    engineer,
    django_capture_on_commit_callbacks,
):
    receiver.reset(500, 200)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id)

    seen = client_for(lead).get(f"/api/v1/webhooks/{webhook.pk}/deliveries/")
    hidden = client_for(engineer).get(f"/api/v1/webhooks/{webhook.pk}/deliveries/")

    attempts = [(row["attempt"], row["status"]) for row in seen.json()["results"]]
    assert attempts == [(2, "succeeded"), (1, "failed")]
    assert hidden.status_code == 404


def test_a_lead_removes_a_webhook(webhook, client_for, lead):
    response = client_for(lead).delete(f"/api/v1/webhooks/{webhook.pk}/")

    assert response.status_code == 204
    assert not Webhook.objects.exists()


def test_a_finished_probe_run_and_its_failures_are_announced(
    webhook_settings, receiver, team, lead, release, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun

    services.webhook_create(
        team=team,
        name="probes",
        url=receiver.url,
        events=["probe_run.finished", "probe.failed"],
        by=lead,
    )
    config = ProbeConfig.objects.create(
        environment=release.environment, name="tls", kind="tls", target="x:443"
    )
    run = ProbeRun.objects.create(
        release=release,
        environment=release.environment,
        status="failed",
        failed=1,
        config_ids=[config.pk],
        deadline=timezone.now(),
    )
    ProbeResult.objects.create(
        run=run,
        config=config,
        name="tls",
        kind="tls",
        target="x:443",
        status="fail",
        summary="certificate expired",
        duration_ms=3.0,
    )
    receiver.reset(200, 200)

    with django_capture_on_commit_callbacks(execute=True):
        announce("probe_run.finished", team_id=release.team_id, run=run)

    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert [body["event"] for body in bodies] == ["probe_run.finished", "probe.failed"]
    assert bodies[0]["data"]["status"] == "failed"
    assert bodies[1]["data"]["summary"] == "certificate expired"


# The webhooks page


def test_a_lead_sees_each_delivery_attempt_on_the_webhooks_page(
    webhook,
    receiver,
    release,
    client,
    lead,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    receiver.reset(503, 200)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id)
    client.force_login(lead)

    with django_assert_max_num_queries(8):
        page = client.get("/webhooks/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "deploy bot" in html
    assert "Failed, will retry" in html and "Succeeded" in html
    assert "the receiver answered 503" in html
    assert SECRET not in html


def test_an_engineer_does_not_see_the_teams_webhooks(webhook, client, engineer):
    client.force_login(engineer)

    page = client.get("/webhooks/")

    assert page.status_code == 200
    assert "deploy bot" not in page.content.decode()


def test_an_attempt_left_sending_by_a_dead_worker_is_sent_when_redelivered(
    webhook, receiver, release
):
    from datetime import timedelta

    from django.utils import timezone

    [row_id] = announce("release.ready", team_id=release.team_id).deliveries
    long_ago = timezone.now() - timedelta(hours=1)
    WebhookDelivery.objects.filter(pk=row_id).update(
        status="sending", claimed_at=long_ago
    )
    receiver.reset(200)

    status = services.webhook_deliver(delivery_id=row_id)

    assert status == "succeeded"
    assert len(receiver.requests) == 1


def test_an_attempt_being_sent_now_is_not_sent_again(webhook, receiver, release):
    from django.utils import timezone

    [row_id] = announce("release.ready", team_id=release.team_id).deliveries
    WebhookDelivery.objects.filter(pk=row_id).update(
        status="sending", claimed_at=timezone.now()
    )
    receiver.reset(200)

    status = services.webhook_deliver(delivery_id=row_id)

    assert status == "sending"
    assert receiver.requests == []
