"""Sign-in, sign-out and failed sign-in are audited, with the request's origin."""

import json

from django.urls import reverse

from apps.audit.models import AuditEvent

AGENT = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"


def test_signing_in_records_who_from_where(client, engineer):
    response = client.post(
        reverse("accounts:login"),
        {"username": engineer.username, "password": "pw-for-tests"},
        HTTP_USER_AGENT=AGENT,
        HTTP_X_REQUEST_ID="signin-request-0001",
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.signed_in")
    assert event.actor == engineer
    assert event.actor_label == engineer.username
    assert event.target_id == str(engineer.pk)
    assert (event.ip, event.user_agent) == ("192.0.2.10", AGENT)
    assert event.request_id == "signin-request-0001"


def test_signing_out_is_recorded(client, engineer):
    client.force_login(engineer)
    client.post(reverse("accounts:logout"), REMOTE_ADDR="192.0.2.11")
    event = AuditEvent.objects.get(action="auth.signed_out")
    assert event.actor == engineer
    assert event.ip == "192.0.2.11"


def test_a_failed_sign_in_records_the_username_but_never_the_password(client, engineer):
    response = client.post(
        reverse("accounts:login"),
        {"username": engineer.username, "password": "Hunter2-guess!"},
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.actor is None
    assert event.actor_label == "anonymous"
    assert event.after == {"username": engineer.username}
    assert event.ip == "198.51.100.7"
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "Hunter2-guess!" not in stored
    assert not AuditEvent.objects.filter(action="auth.signed_in").exists()
