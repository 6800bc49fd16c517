"""The test OpenID provider behaves like one: a relying party's view of it.

Each test drives the real provider (tests/oidc_provider, django-oauth-toolkit in
gunicorn) over HTTP the way an RP does: discovery, the Authorization Code flow with
PKCE through its login form, the token endpoint, ID tokens checked with PyJWT
against its JWKS. No Shipshape app is involved.
"""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.oidc import FAULTS, SignInRefused

SCOPE = "openid email profile groups"
# Never fetched: sign_in() stops at the redirect, the browser test intercepts it.
CALLBACK = "http://127.0.0.1:51999/callback"
PASSWORD = "provider-pw"
REFUSED = "Please enter a correct username and password"


class UnknownKey(jwt.InvalidTokenError):
    """The token's kid is not in the provider's JWKS."""


class NonceMismatch(jwt.InvalidTokenError):
    """The token's nonce is not the one the client sent."""


@dataclass(frozen=True)
class Flow:
    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Result:
    flow: Flow
    login_form_shown: bool
    tokens: dict


@pytest.fixture
def http():
    """A fresh cookie jar: a browser that has not met the provider yet."""
    with httpx.Client(timeout=30) as client:
        yield client


def new_user(provider, *, groups: list[str], name: str = "Ada Lovelace") -> str:
    username = f"user-{secrets.token_hex(4)}"
    provider.create_user(username, password=PASSWORD, name=name, groups=groups)
    return username


def start_flow(provider, **extra: str) -> Flow:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": CALLBACK,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    endpoint = provider.endpoints["authorization_endpoint"]
    return Flow(f"{endpoint}?{urlencode(params)}", state, nonce, verifier)


def exchange(provider, code: str, verifier: str) -> httpx.Response:
    return provider.backchannel.post(
        provider.endpoints["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(provider.client_id, provider.client_secret),
    )


def run_flow(provider, http, username: str | None = None, **extra: str) -> Result:
    """Authorize (signing in if the form appears), then redeem the code."""
    flow = start_flow(provider, **extra)
    password = PASSWORD if username else None
    signed_in = provider.sign_in(http, flow.url, username=username, password=password)
    assert signed_in.location.startswith(f"{CALLBACK}?")
    assert signed_in.params["state"] == flow.state
    response = exchange(provider, signed_in.params["code"], flow.verifier)
    assert response.status_code == 200, response.text
    return Result(flow, signed_in.login_form_shown, response.json())


def verify(provider, id_token: str, *, nonce: str) -> dict:
    """Check an ID token as an RP must: key from the JWKS by kid, RS256 only,
    signature, iss, aud, exp, and the nonce it sent."""
    keys = {key["kid"]: key for key in provider.jwks()["keys"]}
    kid = jwt.get_unverified_header(id_token).get("kid")
    if kid not in keys:
        raise UnknownKey(f"kid {kid} is not in the JWKS")
    claims = jwt.decode(
        id_token,
        jwt.PyJWK(keys[kid]).key,
        algorithms=["RS256"],
        audience=provider.client_id,
        issuer=provider.issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    if claims.get("nonce") != nonce:
        raise NonceMismatch(f"nonce {claims.get('nonce')!r} was not sent")
    return claims


def test_discovery_names_every_endpoint_an_rp_needs(oidc_provider):
    discovery = oidc_provider.discovery()

    issuer = oidc_provider.issuer
    assert issuer.startswith("http://127.0.0.1:") and issuer.endswith("/o")
    assert discovery["issuer"] == issuer
    assert discovery["authorization_endpoint"] == f"{issuer}/authorize/"
    assert discovery["token_endpoint"] == f"{issuer}/token/"
    assert discovery["userinfo_endpoint"] == f"{issuer}/userinfo/"
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert discovery["end_session_endpoint"] == f"{issuer}/logout/"
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert set(discovery["scopes_supported"]) == {
        "openid",
        "profile",
        "email",
        "groups",
    }
    assert {"groups", "email", "name", "preferred_username"} <= set(
        discovery["claims_supported"]
    )
    assert "login" in discovery["prompt_values_supported"]


def test_jwks_publishes_public_rs256_signing_keys(oidc_provider):
    keys = oidc_provider.jwks()["keys"]

    assert keys
    for key in keys:
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert key["kid"] and key["n"] and key["e"] == "AQAB"
        assert not {"d", "p", "q"} & set(key), "private parts must not be published"
    assert len({key["kid"] for key in keys}) == len(keys)


def test_code_flow_with_pkce_gives_an_id_token_with_groups(oidc_provider, http):
    username = new_user(oidc_provider, groups=["platform-leads", "appsec"])
    before = int(time.time())

    result = run_flow(oidc_provider, http, username)

    assert result.login_form_shown
    assert result.tokens["token_type"] == "Bearer"
    claims = verify(oidc_provider, result.tokens["id_token"], nonce=result.flow.nonce)
    assert claims["iss"] == oidc_provider.issuer
    assert claims["aud"] == oidc_provider.client_id
    assert claims["groups"] == ["appsec", "platform-leads"]
    assert claims["preferred_username"] == username
    assert claims["email"] == f"{username}@example.com"
    assert claims["name"] == "Ada Lovelace"
    assert before <= claims["auth_time"] <= time.time()
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == "urn:shipshape:test-idp:password"
    assert claims["exp"] > time.time()


def test_userinfo_carries_groups_and_profile(oidc_provider, http):
    username = new_user(oidc_provider, groups=["audit"], name="Grace Hopper")
    result = run_flow(oidc_provider, http, username)

    response = oidc_provider.backchannel.get(
        oidc_provider.endpoints["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {result.tokens['access_token']}"},
    )

    assert response.status_code == 200
    info = response.json()
    assert info["groups"] == ["audit"]
    assert info["name"] == "Grace Hopper"
    assert info["email"] == f"{username}@example.com"
    assert info["preferred_username"] == username
    id_token = verify(oidc_provider, result.tokens["id_token"], nonce=result.flow.nonce)
    assert info["sub"] == id_token["sub"]


@pytest.mark.parametrize(
    "pkce",
    [{}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}],
    ids=["no-challenge", "plain"],
)
def test_authorization_without_s256_pkce_is_refused(oidc_provider, http, pkce):
    username = new_user(oidc_provider, groups=[])
    flow = start_flow(oidc_provider)
    query = dict(parse_qsl(urlsplit(flow.url).query))
    del query["code_challenge"], query["code_challenge_method"]
    url = f"{flow.url.split('?')[0]}?{urlencode({**query, **pkce})}"

    signed_in = oidc_provider.sign_in(http, url, username=username, password=PASSWORD)

    assert signed_in.params["error"] == "invalid_request"
    assert "code" not in signed_in.params


def test_code_is_redeemed_only_with_its_verifier(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    flow = start_flow(oidc_provider)
    signed_in = oidc_provider.sign_in(
        http, flow.url, username=username, password=PASSWORD
    )

    response = exchange(oidc_provider, signed_in.params["code"], "wrong" * 10)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_prompt_login_asks_again_and_auth_time_advances(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    first = run_flow(oidc_provider, http, username)
    first_claims = verify(
        oidc_provider, first.tokens["id_token"], nonce=first.flow.nonce
    )

    again = run_flow(oidc_provider, http)  # the provider's session signs in silently
    again_claims = verify(
        oidc_provider, again.tokens["id_token"], nonce=again.flow.nonce
    )
    # auth_time counts whole seconds: start the re-login in the next one.
    time.sleep(1.05 - time.time() % 1)
    forced = run_flow(oidc_provider, http, username, prompt="login")
    forced_claims = verify(
        oidc_provider, forced.tokens["id_token"], nonce=forced.flow.nonce
    )

    assert not again.login_form_shown
    assert again_claims["auth_time"] == first_claims["auth_time"]
    assert forced.login_form_shown
    assert forced_claims["auth_time"] > first_claims["auth_time"]


def test_auth_time_is_this_sessions_sign_in_not_the_users_latest(oidc_provider):
    username = new_user(oidc_provider, groups=[])
    with httpx.Client(timeout=30) as laptop, httpx.Client(timeout=30) as phone:
        first = run_flow(oidc_provider, laptop, username)
        time.sleep(1.05 - time.time() % 1)
        on_phone = run_flow(oidc_provider, phone, username)
        later = run_flow(oidc_provider, laptop)

    signed_in_at = verify(
        oidc_provider, first.tokens["id_token"], nonce=first.flow.nonce
    )
    phone_claims = verify(
        oidc_provider, on_phone.tokens["id_token"], nonce=on_phone.flow.nonce
    )
    later_claims = verify(
        oidc_provider, later.tokens["id_token"], nonce=later.flow.nonce
    )
    assert phone_claims["auth_time"] > signed_in_at["auth_time"]
    assert later_claims["auth_time"] == signed_in_at["auth_time"]


def test_max_age_zero_asks_again_and_a_generous_max_age_does_not(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    run_flow(oidc_provider, http, username)

    generous = run_flow(oidc_provider, http, max_age="3600")
    with pytest.raises(SignInRefused, match="sign-in form shown"):
        run_flow(oidc_provider, http, max_age="0")
    forced = run_flow(oidc_provider, http, username, max_age="0")

    assert not generous.login_form_shown
    assert forced.login_form_shown


def test_prompt_none_signs_in_silently_or_answers_login_required(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    no_session = start_flow(oidc_provider, prompt="none")
    before = oidc_provider.sign_in(http, no_session.url)
    run_flow(oidc_provider, http, username)

    silent = run_flow(oidc_provider, http, prompt="none")
    too_old = oidc_provider.sign_in(
        http, start_flow(oidc_provider, prompt="none", max_age="0").url
    )

    assert before.location.startswith(f"{CALLBACK}?")
    assert before.params["error"] == "login_required"
    assert before.params["state"] == no_session.state
    assert not silent.login_form_shown
    assert too_old.params["error"] == "login_required"
    assert "code" not in too_old.params


EXPECTED_REFUSAL = {
    "unknown_key": UnknownKey,
    "bad_signature": jwt.InvalidSignatureError,
    "wrong_aud": jwt.InvalidAudienceError,
    "wrong_iss": jwt.InvalidIssuerError,
    "expired": jwt.ExpiredSignatureError,
    "wrong_nonce": NonceMismatch,
    "alg_none": jwt.InvalidAlgorithmError,
}


def test_every_fault_has_an_expected_refusal():
    assert set(EXPECTED_REFUSAL) == set(FAULTS)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_id_token_fails_the_check_it_targets(oidc_provider, http, fault):
    username = new_user(oidc_provider, groups=["platform-leads"])

    with oidc_provider.fault(fault):
        spoiled = run_flow(oidc_provider, http, username)
    sound = run_flow(oidc_provider, http)

    with pytest.raises(EXPECTED_REFUSAL[fault]):
        verify(oidc_provider, spoiled.tokens["id_token"], nonce=spoiled.flow.nonce)
    claims = verify(oidc_provider, sound.tokens["id_token"], nonce=sound.flow.nonce)
    assert claims["groups"] == ["platform-leads"]


def test_rotating_the_key_replaces_the_kid(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    before = run_flow(oidc_provider, http, username)
    old_kid = jwt.get_unverified_header(before.tokens["id_token"])["kid"]

    rotated = oidc_provider.rotate_key()
    after = run_flow(oidc_provider, http)

    assert rotated["previous_kid"] == old_kid
    assert [key["kid"] for key in oidc_provider.jwks()["keys"]] == [rotated["kid"]]
    assert jwt.get_unverified_header(after.tokens["id_token"])["kid"] == rotated["kid"]
    verify(oidc_provider, after.tokens["id_token"], nonce=after.flow.nonce)
    with pytest.raises(UnknownKey):
        verify(oidc_provider, before.tokens["id_token"], nonce=before.flow.nonce)


def test_rotating_while_keeping_the_old_key_publishes_both(oidc_provider):
    kept = oidc_provider.rotate_key(keep_old=True)
    published = {key["kid"] for key in oidc_provider.jwks()["keys"]}
    oidc_provider.rotate_key()  # back to a single key for the tests after this one

    assert {kept["kid"], kept["previous_kid"]} <= published
    assert kept["kid"] != kept["previous_kid"]


def test_a_deactivated_user_cannot_sign_in_and_loses_tokens(oidc_provider, http):
    username = new_user(oidc_provider, groups=["platform-leads"])
    result = run_flow(oidc_provider, http, username)

    oidc_provider.deactivate_user(username)
    userinfo = oidc_provider.backchannel.get(
        oidc_provider.endpoints["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {result.tokens['access_token']}"},
    )

    assert userinfo.status_code == 401
    # Same browser: the provider's session no longer counts; the form refuses.
    with pytest.raises(SignInRefused, match=REFUSED):
        run_flow(oidc_provider, http, username)


def test_a_change_of_groups_shows_in_userinfo_and_the_next_token(oidc_provider, http):
    username = new_user(oidc_provider, groups=["platform-leads", "appsec"])
    first = run_flow(oidc_provider, http, username)

    oidc_provider.set_groups(username, ["audit"])
    userinfo = oidc_provider.backchannel.get(
        oidc_provider.endpoints["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {first.tokens['access_token']}"},
    )
    after = run_flow(oidc_provider, http)

    assert userinfo.json()["groups"] == ["audit"]
    claims = verify(oidc_provider, after.tokens["id_token"], nonce=after.flow.nonce)
    assert claims["groups"] == ["audit"]


def test_end_session_signs_out_and_returns_to_the_client(oidc_provider, http):
    username = new_user(oidc_provider, groups=[])
    result = run_flow(oidc_provider, http, username)

    response = http.get(
        oidc_provider.endpoints["end_session_endpoint"],
        params={
            "id_token_hint": result.tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:51999/",
            "state": "bye",
        },
    )

    assert response.status_code == 302
    assert response.headers["location"] == "http://127.0.0.1:51999/?state=bye"
    with pytest.raises(SignInRefused, match="sign-in form shown"):
        run_flow(oidc_provider, http)


def test_control_surface_needs_its_token_and_explains_bad_input(oidc_provider):
    anonymous = oidc_provider.backchannel.post(
        f"{oidc_provider.url}/_test/users", json={"username": "x"}
    )
    bad_fault = oidc_provider._control.post("/_test/fault", json={"name": "typo"})
    no_password = oidc_provider._control.post(
        "/_test/users", json={"username": f"new-{secrets.token_hex(4)}"}
    )

    assert anonymous.status_code == 403
    assert bad_fault.status_code == 400
    assert "unknown fault 'typo'" in bad_fault.json()["error"]
    assert no_password.status_code == 400
    assert "needs a password" in no_password.json()["error"]


@pytest.mark.e2e
def test_a_browser_signs_in_on_the_providers_login_form(oidc_provider, browser):
    username = new_user(oidc_provider, groups=["platform-leads"])
    flow = start_flow(oidc_provider)
    context = browser.new_context()
    context.route(
        lambda url: url.startswith(CALLBACK),
        lambda route: route.fulfill(status=200, body="Back at the client"),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(flow.url)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        refusal = page.get_by_role("alert").inner_text()
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: url.startswith(CALLBACK))
        params = dict(parse_qsl(urlsplit(page.url).query))
        body = page.locator("body").inner_text()
    finally:
        context.close()

    assert REFUSED in refusal
    assert body == "Back at the client"
    assert params["state"] == flow.state
    assert params["iss"] == oidc_provider.issuer
    response = exchange(oidc_provider, params["code"], flow.verifier)
    claims = verify(oidc_provider, response.json()["id_token"], nonce=flow.nonce)
    assert claims["groups"] == ["platform-leads"]
    assert claims["preferred_username"] == username
