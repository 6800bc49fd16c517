"""The CI OIDC issuers, the Standard Webhooks helpers and receiver, and the Flagger
and Argo Rollouts callers behave as their published sources say. No database.
"""

import base64
import time

import jwt
import pytest

from tests.standins import flagger, standard_webhooks
from tests.standins.keys import RsaKey
from tests.standins.loopback import LoopbackStandIn, Reply, client


def test_a_gitlab_id_token_verifies_against_the_issuers_jwks(ci_oidc_issuer):
    """docs.gitlab.com/ci/secrets/id_token_authentication/ "Token payload"."""
    token = ci_oidc_issuer.id_token(
        aud="https://shipshape.example",
        project_path="acme/shop",
        ref="v1.2.3",
        ref_type="tag",
        sha="b" * 40,
        environment="production",
    )

    claims = _verify(ci_oidc_issuer.issuer, token, "https://shipshape.example")

    assert claims["sub"] == "project_path:acme/shop:ref_type:tag:ref:v1.2.3"
    assert claims["namespace_path"] == "acme"
    assert claims["ref_path"] == "refs/tags/v1.2.3"
    assert (claims["environment"], claims["deployment_tier"]) == (
        "production",
        "production",
    )
    assert claims["sha"] == "b" * 40
    assert isinstance(claims["pipeline_id"], str) and isinstance(claims["job_id"], str)
    assert ci_oidc_issuer.jwks_uri.endswith("/oauth/discovery/keys")


def test_a_github_actions_token_verifies_against_the_issuers_jwks(actions_oidc_issuer):
    """docs.github.com/en/actions/reference/security/oidc "OIDC token claims"."""
    token = actions_oidc_issuer.id_token(
        aud="https://shipshape.example",
        repository="octo-org/shop",
        environment="production",
        sha="c" * 40,
    )

    claims = _verify(actions_oidc_issuer.issuer, token, "https://shipshape.example")

    assert claims["sub"] == "repo:octo-org/shop:environment:production"
    assert claims["job_workflow_ref"] == (
        "octo-org/shop/.github/workflows/deploy.yml@refs/heads/main"
    )
    assert (claims["exp"] - claims["iat"], claims["iat"] - claims["nbf"]) == (300, 600)
    assert jwt.get_unverified_header(token)["x5t"]


def test_rotated_keys_verify_and_retired_or_unpublished_keys_do_not(ci_oidc_issuer):
    old = ci_oidc_issuer.id_token(aud="a")
    ci_oidc_issuer.rotate()
    new = ci_oidc_issuer.id_token(aud="a")
    forged = ci_oidc_issuer.id_token(aud="a", key=RsaKey.generate())

    during = [_verify(ci_oidc_issuer.issuer, token, "a") for token in (old, new)]
    with pytest.raises(jwt.PyJWKClientError):
        _verify(ci_oidc_issuer.issuer, forged, "a")
    ci_oidc_issuer.retire_old_keys()
    with pytest.raises(jwt.PyJWKClientError):
        _verify(ci_oidc_issuer.issuer, old, "a")

    assert len(during) == 2
    assert _verify(ci_oidc_issuer.issuer, new, "a")["aud"] == "a"
    assert ci_oidc_issuer.jwks_fetches() >= 4


def _verify(issuer: str, token: str, audience: str) -> dict:
    """What a relying party does: discovery, JWKS by kid, then PyJWT's checks."""
    discovery = client().get(f"{issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    key = jwt.PyJWKClient(
        discovery["jwks_uri"], cache_jwk_set=False
    ).get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer
    )


# Standard Webhooks


def test_signing_matches_the_standard_webhooks_test_vector():
    """standard-webhooks/standard-webhooks libraries/python/tests/test_webhooks.py
    test_sign_function (the vector every reference library tests)."""
    vector = standard_webhooks.SPEC_VECTOR

    signature = standard_webhooks.sign(
        vector["secret"], vector["msg_id"], vector["timestamp"], vector["payload"]
    )
    headers = {
        "webhook-id": vector["msg_id"],
        "webhook-timestamp": str(vector["timestamp"]),
        "webhook-signature": f"v1a,notchecked v1,AAAA {signature}",
    }

    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    standard_webhooks.verify(
        vector["secret"], headers, vector["payload"], now=vector["timestamp"]
    )


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ("tampered body", "no matching signature"),
        ("other secret", "no matching signature"),
        ("too old", "timestamp too old"),
        ("too new", "timestamp too new"),
        ("no signature", "missing"),
    ],
)
def test_verification_refuses_what_the_spec_refuses(bend, reason):
    """spec/standard-webhooks.md "Verifying signatures": constant-time compare and a
    timestamp tolerance (5 minutes in the reference libraries)."""
    secret = standard_webhooks.generate_secret()
    body = b'{"type":"release.transitioned"}'
    now = 1_700_000_000
    offset = {"too old": -301, "too new": 301}.get(bend, 0)
    headers = standard_webhooks.headers_for(secret, body, timestamp=now + offset)
    if bend == "tampered body":
        body = b'{"type":"release.transitioned "}'
    if bend == "other secret":
        secret = standard_webhooks.generate_secret()
    if bend == "no signature":
        del headers["webhook-signature"]

    with pytest.raises(standard_webhooks.WebhookVerificationError, match=reason):
        standard_webhooks.verify(secret, headers, body, now=now)


def test_the_receiver_records_and_checks_each_delivery(webhook_receiver):
    body = b'{"type":"release.transitioned","data":{"id":1}}'
    url = f"{webhook_receiver.url}/hooks/shipshape"
    fresh = standard_webhooks.headers_for(webhook_receiver.secret, body)
    stale = standard_webhooks.headers_for(
        webhook_receiver.secret, body, timestamp=int(time.time()) - 301
    )
    webhook_receiver.respond_with(503)

    answers = [
        client().post(url, content=body, headers=fresh).status_code,
        client().post(url, content=body, headers=fresh).status_code,
        client().post(url, content=body, headers=stale).status_code,
    ]

    assert answers == [503, 204, 401]
    assert [d.verified for d in webhook_receiver.deliveries] == [True, True, False]
    assert webhook_receiver.deliveries[2].error == "timestamp too old"
    assert webhook_receiver.deliveries[0].webhook_id == fresh["webhook-id"]
    assert webhook_receiver.wait_for_deliveries(3)[0].json["data"] == {"id": 1}


def test_secrets_are_serialised_as_the_spec_says():
    secret = standard_webhooks.generate_secret()

    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64


# Flagger and Argo Rollouts


def test_flagger_payloads_and_its_verdict_rule(webhook_receiver):
    """fluxcd/flagger CanaryWebhookPayload (canary.go) and callWebhook
    (webhook.go: a status above 202 is a failure, so a gate must not answer 204)."""
    webhook_receiver.reset()
    payload = flagger.hook_payload(
        "confirm-rollout",
        name="shop",
        namespace="prod",
        metadata={"environment": "prod"},
    )
    url = f"{webhook_receiver.url}/integrations/flagger/gate"
    webhook_receiver.respond_with(403, 204, 200)

    refused = flagger.call_flagger_webhook(url, payload)
    no_content = flagger.call_flagger_webhook(url, payload)
    passed = flagger.call_flagger_webhook(url, payload)

    assert set(payload) == {"name", "namespace", "phase", "checksum", "metadata"}
    assert payload["phase"] == "Waiting"
    assert flagger.hook_payload("confirm-promotion")["phase"] == "Progressing"
    assert (refused.status, refused.passed) == (403, False)
    assert (no_content.status, no_content.passed) == (204, False)
    assert (passed.status, passed.passed) == (200, True)
    assert webhook_receiver.deliveries[0].headers["content-type"] == "application/json"
    assert "metadata" not in flagger.canary_payload()


def test_argo_web_metric_measures_like_argo_rollouts():
    """argoproj.github.io/argo-rollouts/analysis/web/: GET, jsonPath picks result,
    successCondition decides, non-2xx is an Error measurement."""
    readiness = {"ready": True, "score": 0.95}
    server = LoopbackStandIn()
    server.route("GET", r"/api/v1/readiness/", lambda request: Reply(200, readiness))
    server.route("GET", r"/broken", lambda request: Reply(500, {"detail": "down"}))
    try:
        url = f"{server.url}/api/v1/readiness/?service=shop&environment=prod&sha=abc"
        whole = flagger.web_metric(url, success_condition="result.ready == true")
        picked = flagger.web_metric(
            url, json_path="{$.score}", success_condition="result >= 0.9"
        )
        readiness["ready"] = False
        blocked = flagger.web_metric(url, success_condition="result.ready == true")
        broken = flagger.web_metric(
            f"{server.url}/broken", success_condition="result == true"
        )
    finally:
        server.stop()

    assert whole.phase == "Successful"
    assert (picked.phase, picked.value) == ("Successful", 0.95)
    assert blocked.phase == "Failed"
    assert (broken.phase, broken.status) == ("Error", 500)
    assert server.calls[0].query == {
        "service": ["shop"],
        "environment": ["prod"],
        "sha": ["abc"],
    }
