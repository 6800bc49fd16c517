"""A fresh sign-in at the provider before a signature (OIDC_STEP_UP_SECONDS)."""

import re
import time
from contextlib import contextmanager
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore

from apps.accounts.sso.views import SESSION_AUTH_TIME, SESSION_STEP_UP
from apps.signoffs.models import SignOff
from tests.accounts.conftest import PROVIDER_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
APPROVE = {"role_key": "operations", "decision": "approve", "confirm": "on"}


def post(http, path: str, data: dict):
    http.get("/accounts/tokens/")  # sets the CSRF cookie
    return http.post(
        path, data=data, headers={"X-CSRFToken": http.cookies["csrftoken"]}
    )


def age_sign_in(http, seconds: int) -> None:
    session = SessionStore(http.cookies["sessionid"])
    session[SESSION_AUTH_TIME] = time.time() - seconds
    session.save()


@contextmanager
def signed_in(sso, groups: list[str], *, seconds_ago: int = 0):
    """A person at the provider, and a browser that signed in as them (that
    many seconds ago, as far as the session knows)."""
    person = sso.person(groups=groups)
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        if seconds_ago:
            age_sign_in(http, seconds_ago)
        yield person, http


def back_from_the_provider(sso, http, person, detour, *, meanwhile=None):
    """Follow a detour to the provider (running meanwhile() first), sign in on
    its form, and return Shipshape's answer to the callback."""
    assert detour.status_code == 302
    to_provider = http.get(detour.headers["location"])
    query = dict(parse_qsl(urlsplit(to_provider.headers["location"]).query))
    assert (query["prompt"], query["max_age"]) == ("login", "0")
    if meanwhile:
        meanwhile()
    back = sso.provider.sign_in(
        http,
        to_provider.headers["location"],
        username=person["username"],
        password=PROVIDER_PASSWORD,
    )
    assert back.login_form_shown
    return http.get(back.location)


def through_the_provider(sso, http, person, detour) -> str:
    """The confirmation page Shipshape brings the browser back to."""
    callback = back_from_the_provider(sso, http, person, detour)
    confirmation = http.get(callback.headers["location"])
    assert confirmation.status_code == 200
    return unescape(confirmation.text)


def test_an_old_sign_in_goes_through_the_provider_and_back_to_the_confirmation(
    sso, platform_release
):
    release = platform_release
    with signed_in(sso, ["platform-devs"], seconds_ago=301) as (person, http):
        detour = post(http, f"/releases/{release.pk}/signoffs/", APPROVE)
        assert not SignOff.objects.exists()
        text = through_the_provider(sso, http, person, detour)
        assert f"Approve {release.service.name} 2.4.0 as Operations." in text
        assert not SignOff.objects.exists()

        action = re.search(
            r'<form class="card stack" method="post" action="([^"]+)"', text
        )
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', text))
        done = post(http, action.group(1), fields)
        assert done.status_code == 302

        signoff = SignOff.objects.get()
        assert (signoff.role_key, signoff.decision) == ("operations", "approve")
        assert abs(signoff.auth_time.timestamp() - time.time()) < 30
        assert signoff.auth_acr == "urn:shipshape:test-idp:password"
        assert signoff.auth_amr == ["pwd"]
        record = http.get(f"/records/releases/{release.pk}/")
        assert "urn:shipshape:test-idp:password" in record.text


def test_a_fresh_sign_in_signs_at_once_and_htmx_is_sent_to_the_provider(
    sso, platform_release
):
    release = platform_release
    with signed_in(sso, ["platform-devs"]) as (_person, http):
        done = post(http, f"/releases/{release.pk}/signoffs/", APPROVE)
        assert done.status_code == 302
        assert SignOff.objects.get().auth_time is not None

        age_sign_in(http, 400)
        http.get("/accounts/tokens/")
        answer = http.post(
            f"/releases/{release.pk}/signoffs/",
            data={**APPROVE, "decision": "reject", "comment": "Wait for the fix."},
            headers={"X-CSRFToken": http.cookies["csrftoken"], "HX-Request": "true"},
        )
        assert answer.headers["HX-Redirect"].startswith("/oidc/authenticate/?fresh=1")
        assert SignOff.objects.count() == 1


def test_without_single_sign_on_nothing_asks_for_a_fresh_sign_in(
    client, engineer, release
):
    client.force_login(engineer)
    done = client.post(f"/releases/{release.pk}/signoffs/", APPROVE)

    assert done.status_code == 302
    assert SignOff.objects.get().auth_time is None


def test_an_override_needs_a_fresh_sign_in_too(sso, platform_release):
    release = platform_release
    override = {"target": "ready", "override": "on", "reason": "Hotfix, lead on call."}
    with signed_in(sso, ["platform-leads"], seconds_ago=301) as (person, http):
        detour = post(http, f"/releases/{release.pk}/status/", override)
        release.refresh_from_db()
        assert release.status == "in_progress"
        text = through_the_provider(sso, http, person, detour)

        assert "Override the readiness gate" in text
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', text))
        assert post(http, f"/releases/{release.pk}/status/", fields).status_code == 302
    release.refresh_from_db()
    assert release.status == "ready"


def test_a_provider_that_does_not_sign_the_person_in_again_records_nothing(
    sso, platform_release
):
    release = platform_release
    with signed_in(sso, ["platform-devs"], seconds_ago=301) as (person, http):
        detour = post(http, f"/releases/{release.pk}/signoffs/", APPROVE)

        def provider_ignores_prompt_login():
            # The sign-in it will report is older than the request for a fresh one.
            session = SessionStore(http.cookies["sessionid"])
            session[SESSION_STEP_UP] = {
                **session[SESSION_STEP_UP],
                "at": time.time() + 3600,
            }
            session.save()

        refused = back_from_the_provider(
            sso, http, person, detour, meanwhile=provider_ignores_prompt_login
        )

        assert refused.status_code == 403
        assert "Sign in again to continue" in refused.text
    assert not SignOff.objects.exists()


def test_the_api_refuses_a_signature_from_an_old_browser_sign_in(sso, platform_release):
    release = platform_release
    body = {"release": release.pk, "role_key": "operations", "decision": "approve"}
    with signed_in(sso, ["platform-devs"], seconds_ago=301) as (_person, http):
        http.get("/accounts/tokens/")
        headers = {"X-CSRFToken": http.cookies["csrftoken"]}

        refused = http.post("/api/v1/signoffs/", json=body, headers=headers)
        assert refused.status_code == 403
        assert "sign in again" in refused.text
        assert not SignOff.objects.exists()

        age_sign_in(http, 10)
        done = http.post("/api/v1/signoffs/", json=body, headers=headers)
        assert done.status_code == 201, done.text
    assert SignOff.objects.get().auth_acr == "urn:shipshape:test-idp:password"


def test_an_abandoned_fresh_sign_in_does_not_judge_a_later_silent_refresh(
    sso, platform_release
):
    release = platform_release
    with signed_in(sso, ["platform-devs"], seconds_ago=301) as (_person, http):
        # The provider's own sign-in (its auth_time) must be older than the
        # fresh one asked for, beyond the 5 s allowed for clocks.
        time.sleep(6)
        detour = post(http, f"/releases/{release.pk}/signoffs/", APPROVE)
        http.get(detour.headers["location"])  # off to the provider, then gone
        session = SessionStore(http.cookies["sessionid"])
        session["oidc_id_token_expiration"] = 0
        session.save()

        refresh = http.get("/accounts/tokens/")
        back = sso.provider.sign_in(http, refresh.headers["location"])
        done = http.get(back.location)

        assert done.status_code == 302
        assert done.headers["location"] == "/accounts/tokens/"


def test_approving_a_waiver_in_the_page_needs_a_fresh_sign_in_too(
    sso, platform_release
):
    from datetime import timedelta

    from django.utils import timezone

    from apps.policy import services as policy

    release = platform_release
    item = release.items.filter(phase="pre_deployment", required=True).first()
    waiver = policy.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="The backup job moved to the platform team.",
        expires_at=timezone.now() + timedelta(days=3),
        by=release.created_by,
    )
    with signed_in(sso, ["platform-leads"], seconds_ago=301) as (person, http):
        detour = post(http, f"/policy/waivers/{waiver.pk}/approve/", {})
        waiver.refresh_from_db()
        assert waiver.approved_by is None
        text = through_the_provider(sso, http, person, detour)

        assert "Approve the waiver of" in text
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', text))
        assert (
            post(http, f"/policy/waivers/{waiver.pk}/approve/", fields).status_code
            == 302
        )
    waiver.refresh_from_db()
    assert waiver.approved_by is not None
