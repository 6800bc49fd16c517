"""Sign-in protection: repeated failures lock out the user and the address."""

import time

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent

PASSWORD = "pw-for-tests"
LOCKED_TEXT = "Too many failed sign-in attempts"


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_IP_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_SECONDS = 600
    return settings


def _sign_in(client, username: str, password: str, ip: str = "192.0.2.50"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_repeated_wrong_passwords_lock_the_user_out_even_with_the_right_one(
    client, engineer, limits
):
    assert _sign_in(client, engineer.username, "wrong").status_code == 200
    assert _sign_in(client, engineer.username, "wrong").status_code == 200
    # The attempt that reaches the limit already says so.
    assert _sign_in(client, engineer.username, "wrong").status_code == 429

    response = _sign_in(client, engineer.username, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.actor is None
    assert event.target_id == engineer.username
    assert event.after["scope"] == "user"
    assert event.after["failures"] == 3
    assert event.ip == "192.0.2.50"
    assert "password" not in str(event.after).lower()


def test_the_user_lockout_applies_from_any_address_and_any_letter_case(
    client, engineer, limits
):
    for index in range(3):
        _sign_in(client, engineer.username, "wrong", ip=f"192.0.2.{60 + index}")

    response = _sign_in(client, engineer.username.upper(), PASSWORD, ip="192.0.2.99")

    assert response.status_code == 429


def test_the_lockout_ends_after_its_time(client, engineer, limits):
    limits.LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(3):
        _sign_in(client, engineer.username, "wrong")
    assert _sign_in(client, engineer.username, PASSWORD).status_code == 429

    time.sleep(1.5)
    response = _sign_in(client, engineer.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(engineer.pk)


def test_a_correct_password_resets_the_count(client, engineer, limits):
    _sign_in(client, engineer.username, "wrong")
    _sign_in(client, engineer.username, "wrong")
    assert _sign_in(client, engineer.username, PASSWORD).status_code == 302
    client.logout()

    _sign_in(client, engineer.username, "wrong")
    _sign_in(client, engineer.username, "wrong")
    response = _sign_in(client, engineer.username, PASSWORD)

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_guessing_many_usernames_from_one_address_locks_the_address(
    client, engineer, limits
):
    for index in range(5):
        _sign_in(client, f"nobody-{index}", "wrong", ip="198.51.100.20")

    blocked = _sign_in(client, engineer.username, PASSWORD, ip="198.51.100.20")
    elsewhere = _sign_in(client, engineer.username, PASSWORD, ip="198.51.100.21")

    assert blocked.status_code == 429
    assert elsewhere.status_code == 302
    event = AuditEvent.objects.get(action="auth.locked_out", target_id="198.51.100.20")
    assert event.after["scope"] == "ip"


def test_the_admin_sign_in_is_guarded_by_the_same_lockout(client, engineer, limits):
    # Only a superuser may sign in to the admin (tests/test_admin.py).
    engineer.is_staff = engineer.is_superuser = True
    engineer.save(update_fields=["is_staff", "is_superuser"])
    for _ in range(3):
        _sign_in(client, engineer.username, "wrong")

    client.post(
        "/admin/login/?next=/admin/",
        {"username": engineer.username, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.77",
    )

    assert "_auth_user_id" not in client.session
