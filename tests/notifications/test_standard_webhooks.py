"""Outbound webhooks carry Standard Webhooks headers beside X-Shipshape-*.

Checked by tests/standins/standard_webhooks.py's receiver, which verifies each
delivery as the spec (standard-webhooks/standard-webhooks spec/standard-webhooks.md)
and its reference libraries do: HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed
with the base64 after whsec_, a 5-minute timestamp window, constant-time compare.
"""

import pytest

from apps.notifications import secrets, services
from apps.notifications.announcements import announce
from tests.standins.standard_webhooks import SPEC_VECTOR, generate_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(settings, webhook_receiver, team, lead):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_TIMEOUT = 2
    webhook, _ = services.webhook_create(
        team=team,
        name="receiver",
        url=f"{webhook_receiver.url}/hooks/shipshape",
        events=["release.ready"],
        secret=webhook_receiver.secret,
        by=lead,
    )
    return webhook


def test_the_signature_matches_the_specs_test_vector():
    signature = services.sign_standard(
        SPEC_VECTOR["secret"],
        SPEC_VECTOR["msg_id"],
        SPEC_VECTOR["timestamp"],
        SPEC_VECTOR["payload"].encode(),
    )
    assert signature == SPEC_VECTOR["signature"]


def test_a_delivery_verifies_as_a_standard_webhook(
    hook, webhook_receiver, release, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, n=1)
    [delivery] = webhook_receiver.wait_for_deliveries(1)
    assert delivery.verified, delivery.error
    assert delivery.webhook_id.startswith("msg_")
    assert delivery.headers["x-shipshape-event"] == "release.ready"


def test_a_retry_keeps_its_webhook_id_and_is_signed_again(
    hook, webhook_receiver, release, django_capture_on_commit_callbacks
):
    webhook_receiver.respond_with(500)
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, n=2)
    first, second = webhook_receiver.wait_for_deliveries(2)
    assert first.verified and second.verified
    assert first.webhook_id == second.webhook_id


def test_a_delivery_signed_with_another_secret_is_refused(
    hook, webhook_receiver, release, django_capture_on_commit_callbacks
):
    webhook_receiver.reset(secret=generate_secret())
    with django_capture_on_commit_callbacks(execute=True):
        announce("release.ready", team_id=release.team_id, n=3)
    [delivery, *_] = webhook_receiver.wait_for_deliveries(1)
    assert not delivery.verified
    assert delivery.error == "no matching signature"


def test_generated_secrets_are_in_the_specs_form():
    secret = secrets.generate()
    assert secret.startswith("whsec_")
    assert len(secrets.standard_key(secret)) == 32
    assert secrets.standard_key("a-secret-a-lead-chose") == b"a-secret-a-lead-chose"
