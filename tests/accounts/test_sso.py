"""Single sign-on against the real test provider (tests/oidc_provider), no mock.

Each test drives Shipshape's /oidc/ views and the provider's login form over
HTTP with one cookie jar, as a browser would (tests/accounts/conftest.py).
"""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cached_db import SessionStore

from apps.accounts import services
from apps.accounts.models import (
    Membership,
    OidcIdentity,
    SignOffGroupMember,
    Team,
)
from apps.audit.models import AuditEvent
from tests import factories
from tests.accounts.conftest import PROVIDER_PASSWORD
from tests.oidc import FAULTS, SignInRefused

pytestmark = pytest.mark.django_db(transaction=True)


def roles(user) -> dict[str, tuple[str, str]]:
    return {
        m.team.slug: (m.role, m.source)
        for m in Membership.objects.filter(user=user).select_related("team")
    }


def signed_in(http) -> bool:
    """Whether an account page opens (it sends strangers to sign in)."""
    return http.get("/accounts/tokens/").status_code == 200


def sign_out(http):
    http.get("/accounts/tokens/")  # a page with a form sets the CSRF cookie
    return http.post(
        "/accounts/logout/", headers={"X-CSRFToken": http.cookies["csrftoken"]}
    )


def expire_refresh(http) -> None:
    """Make the session's next page load re-check with the provider."""
    session = SessionStore(http.cookies["sessionid"])
    session["oidc_id_token_expiration"] = 0
    session.save()


def test_the_sign_in_page_offers_the_provider(sso):
    with sso.client() as http:
        page = http.get("/accounts/login/")

    assert "Sign in with Test IdP" in page.text
    assert "Administrator sign-in with a password" in page.text


def test_groups_become_roles_for_a_user_found_by_issuer_and_subject(sso):
    # A local account with the same e-mail is not the provider's person.
    local = factories.UserFactory(email="ada@example.com")
    person = sso.person(
        groups=["platform-leads", "audit", "appsec"], email="ada@example.com"
    )

    with sso.client() as http:
        done = sso.sign_in(http, person["username"], path="/accounts/tokens/")
        assert done.status_code == 302 and done.headers["location"] == (
            "/accounts/tokens/"
        )
        assert http.get("/accounts/tokens/").status_code == 200

    identity = OidcIdentity.objects.get(subject=person["sub"])
    user = identity.user
    assert identity.issuer == sso.provider.issuer
    assert user != local and user.email == "ada@example.com"
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert not user.has_usable_password()
    assert roles(user) == {
        "platform": ("lead", "external"),
        "payments": ("auditor", "external"),
    }
    assert SignOffGroupMember.objects.get(user=user).group.name == "Security"
    created = AuditEvent.objects.filter(action="membership.created")
    assert {e.actor_label for e in created} == {
        f"sso {sso.provider.issuer} sub {person['sub']}"
    }
    assert created.count() == 2


def test_email_and_name_are_refreshed_at_the_next_sign_in(sso):
    person = sso.person(groups=["platform-devs"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
    sso.provider.update_user(
        person["username"], email="ada.l@example.com", name="Ada King"
    )

    with sso.client() as http:
        sso.sign_in(http, person["username"])

    user = OidcIdentity.objects.get(subject=person["sub"]).user
    assert User.objects.filter(oidc_identity__isnull=False).count() == 1
    assert (user.email, user.first_name, user.last_name) == (
        "ada.l@example.com",
        "Ada",
        "King",
    )


def test_losing_a_group_changes_the_role_at_the_next_refresh(sso):
    person = sso.person(groups=["platform-leads"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        user = OidcIdentity.objects.get(subject=person["sub"]).user
        # Added by hand in Shipshape: single sign-on leaves it alone.
        payments = Team.objects.get(slug="payments")
        services.membership_set(team=payments, user=user, role="engineer", by=None)
        sso.provider.set_groups(person["username"], ["platform-devs"])
        expire_refresh(http)

        refresh = http.get("/accounts/tokens/")
        assert refresh.status_code == 302
        query = dict(parse_qsl(urlsplit(refresh.headers["location"]).query))
        assert query["prompt"] == "none"
        back = sso.provider.sign_in(http, refresh.headers["location"])
        assert http.get(back.location).headers["location"] == "/accounts/tokens/"

        assert roles(user) == {
            "platform": ("engineer", "external"),
            "payments": ("engineer", "local"),
        }
        changed = AuditEvent.objects.get(
            action="membership.changed", actor_label__startswith="sso "
        )
        assert changed.before == {"role": "lead"}

        sso.provider.set_groups(person["username"], [])
        expire_refresh(http)
        back = sso.provider.sign_in(http, http.get("/").headers["location"])
        http.get(back.location)

    assert roles(user) == {"payments": ("engineer", "local")}
    assert AuditEvent.objects.filter(
        action="membership.removed", actor_label__startswith="sso "
    ).exists()


def test_a_person_the_role_map_gives_nothing_is_refused_without_internals(sso):
    person = sso.person(groups=["marketing", "old-audit"])

    with sso.client() as http:
        done = sso.sign_in(http, person["username"])
        assert not signed_in(http)

    assert done.status_code == 403
    assert "No access to Shipshape" in done.text
    for internal in ("role map", "marketing", "old-audit", "groups", "OIDC"):
        assert internal not in done.text
    assert not OidcIdentity.objects.exists()


def test_a_signed_in_person_who_loses_every_group_is_signed_out(sso):
    person = sso.person(groups=["platform-devs"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        sso.provider.set_groups(person["username"], [])
        expire_refresh(http)
        back = sso.provider.sign_in(http, http.get("/").headers["location"])
        done = http.get(back.location)

        assert done.status_code == 403
        assert not signed_in(http)
    assert not Membership.objects.exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_defective_id_token_is_refused(sso, fault):
    person = sso.person(groups=["platform-leads"])

    with sso.client() as http, sso.provider.fault(fault):
        done = sso.sign_in(http, person["username"])

        assert done.status_code == 400
        assert "Sign-in did not complete" in done.text
        assert not signed_in(http)
    assert not OidcIdentity.objects.exists()


def test_a_replayed_callback_is_refused_and_signs_nobody_out(sso):
    person = sso.person(groups=["platform-leads"])
    with sso.client() as http:
        start = http.get("/oidc/authenticate/")
        back = sso.provider.sign_in(
            http,
            start.headers["location"],
            username=person["username"],
            password=PROVIDER_PASSWORD,
        )
        assert http.get(back.location).status_code == 302

        # The same state and code again: in the same browser, still signed in
        # (a stray link signs nobody out), after signing out, and in another.
        assert http.get(back.location).status_code == 400
        assert signed_in(http)
        sign_out(http)
        assert http.get(back.location).status_code == 400
        assert not signed_in(http)
    with sso.client() as other:
        assert other.get(back.location).status_code == 400
        assert not signed_in(other)


def test_a_rotated_key_is_fetched_when_a_token_names_it(sso):
    person = sso.person(groups=["platform-leads"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
    sso.provider.rotate_key()

    with sso.client() as http:
        done = sso.sign_in(http, person["username"])
        assert done.status_code == 302
        assert signed_in(http)


def test_break_glass_lets_only_superusers_use_a_password(sso, settings):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    engineer = factories.member(factories.TeamFactory(), "engineer")

    def password_sign_in(user) -> bool:
        with sso.client() as http:
            http.get("/accounts/login/")
            answer = http.post(
                "/accounts/login/",
                data={
                    "username": user.username,
                    "password": "pw-for-tests",
                    "csrfmiddlewaretoken": http.cookies["csrftoken"],
                },
            )
            return answer.status_code == 302

    assert password_sign_in(admin)
    assert not password_sign_in(engineer)
    settings.OIDC_LOCAL_LOGIN = "false"
    assert not password_sign_in(admin)
    settings.OIDC_LOCAL_LOGIN = "true"
    assert password_sign_in(engineer)
    settings.OIDC_ISSUER = ""
    settings.OIDC_LOCAL_LOGIN = "false"
    assert password_sign_in(engineer)


def test_sign_out_ends_the_providers_session_too(sso):
    person = sso.person(groups=["platform-leads"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        out = sign_out(http)
        assert out.status_code == 302
        location = out.headers["location"]
        assert location.startswith(sso.provider.endpoints["end_session_endpoint"])
        assert "id_token_hint=" in location
        back = http.get(location)
        assert back.headers["location"].startswith(f"{sso.base_url}/accounts/login/")
        assert not signed_in(http)

        # The provider asks for the password again: its session ended too.
        start = http.get("/oidc/authenticate/")
        with pytest.raises(SignInRefused):
            sso.provider.sign_in(http, start.headers["location"])


def test_single_sign_on_off_hides_the_provider(settings, client, db):
    settings.OIDC_ISSUER = ""

    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_explained_and_signed_in_pages_keep_working(
    sso, settings
):
    person = sso.person(groups=["platform-devs"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        settings.OIDC_ISSUER = "http://127.0.0.1:9/o"  # discard port: refused
        expire_refresh(http)

        assert signed_in(http)  # the refresh waits for the provider
        with sso.client() as stranger:
            page = stranger.get("/oidc/authenticate/")
            assert page.status_code == 503
            assert "cannot be reached" in page.text
            assert "Sign in with Test IdP" in stranger.get("/accounts/login/").text


def test_when_the_providers_session_has_ended_the_refresh_signs_out_here_too(sso):
    person = sso.person(groups=["platform-devs"])
    with sso.client() as http:
        sso.sign_in(http, person["username"])
        sso.provider.deactivate_user(person["username"])  # its sessions end
        expire_refresh(http)

        back = sso.provider.sign_in(
            http, http.get("/accounts/tokens/").headers["location"]
        )
        assert back.params["error"] == "login_required"
        done = http.get(back.location)

        assert done.status_code == 302
        assert done.headers["location"] == "/accounts/login/?next=/accounts/tokens/"
        assert not signed_in(http)
