"""API tokens of people the provider stops vouching for stop at the next check."""

import httpx
import pytest
from django.core.cache import cache

from apps.accounts import tokens
from apps.accounts.models import Membership, OidcIdentity
from apps.accounts.sso import sweep
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_with_token(sso, groups: list[str]):
    person = sso.person(groups=groups)
    with sso.client() as http:
        sso.sign_in(http, person["username"])
    identity = OidcIdentity.objects.get(subject=person["sub"])
    _token, secret = tokens.token_create(
        user=identity.user, name="deploy job", read_only=True, expires_at=None
    )
    return person, identity, secret


def api(sso, secret: str) -> httpx.Response:
    return httpx.get(
        f"{sso.base_url}/api/v1/releases/",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )


def test_a_person_the_provider_deactivates_loses_their_tokens_at_the_next_check(
    sso, settings
):
    person, identity, secret = signed_in_with_token(sso, ["platform-devs"])
    assert identity.refresh_token and "refresh" not in identity.refresh_token
    assert api(sso, secret).status_code == 200
    assert sweep.sso_token_check() == {"ended": 0, "checked": 0, "skipped": 0}

    sso.provider.deactivate_user(person["username"])
    OidcIdentity.objects.update(checked_at=None)  # the interval has passed
    assert sweep.sso_token_check()["ended"] == 1

    refused = api(sso, secret)
    assert refused.status_code == 401
    assert "no longer has access" in refused.text
    assert not Membership.objects.filter(user=identity.user).exists()
    ended = AuditEvent.objects.get(action="sso.access_ended")
    assert ended.actor_label == identity.label


def test_a_person_whom_the_map_leaves_without_a_team_loses_their_tokens(sso):
    person, identity, secret = signed_in_with_token(sso, ["platform-devs"])
    sso.provider.set_groups(person["username"], ["platform-leads"])
    OidcIdentity.objects.update(checked_at=None)

    assert sweep.sso_token_check()["checked"] == 1
    assert Membership.objects.get(user=identity.user).role == "lead"
    checked = OidcIdentity.objects.get(pk=identity.pk)
    assert checked.last_sign_in_at == identity.last_sign_in_at  # not a sign-in
    assert checked.checked_at > identity.checked_at
    assert api(sso, secret).status_code == 200

    sso.provider.set_groups(person["username"], [])
    OidcIdentity.objects.update(checked_at=None)
    sweep.sso_token_check()

    assert api(sso, secret).status_code == 401
    # Signing in again through the provider, with a group, brings them back.
    sso.provider.set_groups(person["username"], ["platform-devs"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
    assert api(sso, secret).status_code == 200


def test_one_check_runs_at_a_time(sso):
    person, identity, secret = signed_in_with_token(sso, ["platform-devs"])
    sso.provider.deactivate_user(person["username"])
    OidcIdentity.objects.update(checked_at=None)
    cache.add(sweep.LOCK, 1, 60)  # another worker's check is under way

    assert sweep.sso_token_check() == {"ended": 0, "checked": 0, "skipped": 0}
    assert api(sso, secret).status_code == 200
    cache.delete(sweep.LOCK)
    assert sweep.sso_token_check()["ended"] == 1
