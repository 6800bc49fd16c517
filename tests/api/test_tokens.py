"""Personal API tokens: Bearer authentication, scope, expiry, revocation, the page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import tokens
from apps.accounts.models import ApiToken
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_token_authenticates_as_its_owner(client_for, engineer):
    response = client_for(engineer).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == engineer.username
    assert response.json()["token"]["read_only"] is False


def test_only_the_hash_of_a_token_is_stored(engineer):
    token, secret = tokens.token_create(user=engineer, name="ci", expires_at=None)

    stored = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith("shp_") and len(secret) > 40
    assert secret not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.token_hash == tokens.token_hash(secret)


def test_requests_without_credentials_are_refused(anonymous):
    response = anonymous.get("/api/v1/releases/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_is_refused(engineer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer shp_not-a-real-token")

    response = client.get("/api/v1/releases/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_read_only_token_reads_but_is_refused_on_writes(client_for, lead, release):
    client = client_for(lead, read_only=True)

    assert client.get(f"/api/v1/releases/{release.pk}/").status_code == 200
    response = client.post(
        f"/api/v1/releases/{release.pk}/transition/",
        {"status": "cancelled", "reason": "wrong build"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "This token is read-only."
    release.refresh_from_db()
    assert release.status == "in_progress"


def test_an_expired_token_is_refused(client_for, engineer):
    client = client_for(engineer, expires_at=timezone.now() + timedelta(seconds=60))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["detail"] == "This token has expired."


def test_a_revoked_token_is_refused_at_once(client_for, engineer):
    client = client_for(engineer)
    assert client.get("/api/v1/me/").status_code == 200

    tokens.token_revoke(token=ApiToken.objects.get(), by=engineer)
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["detail"] == "This token has been revoked."


def test_last_use_is_recorded_at_most_once_a_minute(client_for, engineer):
    client = client_for(engineer)
    client.get("/api/v1/me/")
    first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/me/")
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me/")

    assert ApiToken.objects.get().last_used_at > first - timedelta(seconds=1)


def test_creating_and_revoking_a_token_is_audited(engineer):
    token, secret = tokens.token_create(user=engineer, name="deploy", expires_at=None)
    tokens.token_revoke(token=token, by=engineer)

    actions = list(
        AuditEvent.objects.filter(target_id=str(token.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["api_token.created", "api_token.revoked"]
    assert secret not in str(list(AuditEvent.objects.values("before", "after")))


def test_nobody_else_can_revoke_a_token(engineer, second_engineer):
    token, _secret = tokens.token_create(user=engineer, name="mine", expires_at=None)

    with pytest.raises(tokens.PermissionDenied):
        tokens.token_revoke(token=token, by=second_engineer)


def test_an_expiry_in_the_past_is_refused(engineer):
    with pytest.raises(tokens.ValidationError):
        tokens.token_create(
            user=engineer, name="old", expires_at=timezone.now() - timedelta(days=1)
        )


def test_the_token_page_shows_a_new_token_once_and_lists_it(client, engineer):
    client.force_login(engineer)
    url = reverse("accounts:tokens")

    created = client.post(url, {"name": "deploy job", "read_only": "on"})
    secret = created.context["secret"]
    listed = client.get(url)

    assert created.status_code == 200
    assert secret.startswith("shp_") and secret in created.content.decode()
    assert secret not in listed.content.decode()
    assert "deploy job" in listed.content.decode()
    assert "read-only" in listed.content.decode()
    token = ApiToken.objects.get(user=engineer)
    assert token.read_only is True


def test_the_token_page_revokes_a_token(client, engineer):
    client.force_login(engineer)
    token, _secret = tokens.token_create(user=engineer, name="old", expires_at=None)

    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert "revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_another_users_token_cannot_be_revoked_from_the_page(client, engineer, lead):
    token, _secret = tokens.token_create(user=engineer, name="x", expires_at=None)
    client.force_login(lead)

    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert not token.revoked
