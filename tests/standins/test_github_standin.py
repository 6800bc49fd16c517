"""The GitHub stand-in answers GitHub's paths with GitHub's shapes, refuses what
GitHub refuses, and signs webhooks as GitHub documents. No database.
"""

import hashlib
import hmac
import json
import time

import pytest

from tests.standins import github_webhooks
from tests.standins.keys import RsaKey
from tests.standins.loopback import client


def test_github_signature_matches_githubs_documented_example():
    """docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries,
    "Testing the webhook payload validation"."""
    signature = github_webhooks.github_signature(
        "It's a Secret to Everybody", b"Hello, World!"
    )

    assert signature == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_an_app_jwt_buys_an_installation_token(github_api):
    """POST /app/installations/{id}/access_tokens answers 201 {token, expires_at, ...}
    (github/rest-api-description, operation apps/create-installation-access-token)."""
    github_api.add_installation(31337, repositories=("octo-org/shop",))

    response = client().post(
        f"{github_api.url}/app/installations/31337/access_tokens",
        headers={"Authorization": f"Bearer {github_api.app_jwt()}"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("ghs_")
    assert body["permissions"] == {
        "actions": "read",
        "contents": "read",
        "deployments": "write",
        "metadata": "read",
    }
    expires = time.mktime(time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 3500 < expires - time.mktime(time.gmtime()) <= 3600


@pytest.mark.parametrize(
    "bend",
    [
        "signed by another key",
        "issued by another app",
        "lives 11 minutes",
        "expired",
        "issued in the future",
        "HS256",
        "not a JWT",
        "no Authorization",
    ],
)
def test_a_bad_app_jwt_is_refused_and_buys_nothing(github_api, bend):
    """GitHub's rules for app JWTs: RS256 with the app's key, iss = app id,
    exp at most 10 minutes ahead (docs.github.com/en/apps/creating-github-apps/
    authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app)."""
    github_api.add_installation(31337)
    now = time.time()
    token = {
        "signed by another key": lambda: github_api.app_jwt(key=RsaKey.generate()),
        "issued by another app": lambda: github_api.app_jwt(iss=999),
        "lives 11 minutes": lambda: github_api.app_jwt(issued=now, lifetime=660),
        "expired": lambda: github_api.app_jwt(issued=now - 700, lifetime=600),
        "issued in the future": lambda: github_api.app_jwt(issued=now + 300),
        "HS256": lambda: github_api.app_jwt(algorithm="HS256"),
        "not a JWT": lambda: "not.a.jwt",
        "no Authorization": lambda: None,
    }[bend]()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    response = client().post(
        f"{github_api.url}/app/installations/31337/access_tokens", headers=headers
    )

    assert response.status_code == 401
    assert github_api.tokens == {}


def test_a_waiting_run_is_listed_reviewed_and_released(github_api):
    """The reconciler's reads and the callback's writes, per rest-api-description:
    actions/list-workflow-runs-for-repo, actions/get-pending-deployments-for-run,
    actions/review-custom-gates-for-run (204), and github/docs
    create-custom-protection-rules.md (status reports without a state)."""
    github_api.add_installation(31337, repositories=("octo-org/shop",))
    run = github_api.add_waiting_run("octo-org/shop", environment="production")
    token = _installation_token(github_api, 31337)
    auth = {"Authorization": f"Bearer {token}"}
    runs_url = f"{github_api.url}/repos/octo-org/shop/actions/runs"

    waiting = client().get(runs_url, params={"status": "waiting"}, headers=auth).json()
    pending = (
        client().get(f"{runs_url}/{run.id}/pending_deployments", headers=auth).json()
    )
    report = client().post(
        github_api.callback_url("octo-org/shop", run.id),
        json={"environment_name": "production", "comment": "Score 80 %: 2 blockers"},
        headers=auth,
    )
    approval = client().post(
        github_api.callback_url("octo-org/shop", run.id),
        json={
            "environment_name": "production",
            "state": "approved",
            "comment": "Ready",
        },
        headers=auth,
    )
    second = client().post(
        github_api.callback_url("octo-org/shop", run.id),
        json={"environment_name": "production", "state": "rejected", "comment": "No"},
        headers=auth,
    )
    after = client().get(runs_url, params={"status": "waiting"}, headers=auth).json()

    assert waiting["total_count"] == 1
    assert waiting["workflow_runs"][0]["id"] == run.id
    assert waiting["workflow_runs"][0]["head_sha"] == run.head_sha
    assert waiting["workflow_runs"][0]["status"] == "waiting"
    assert [p["environment"]["name"] for p in pending] == ["production"]
    assert set(pending[0]) == {
        "environment",
        "wait_timer",
        "wait_timer_started_at",
        "current_user_can_approve",
        "reviewers",
    }
    assert (report.status_code, approval.status_code) == (204, 204)
    assert second.status_code == 422
    assert after == {"total_count": 0, "workflow_runs": []}
    assert github_api.decisions(run.id) == [
        {"environment_name": "production", "state": "approved", "comment": "Ready"}
    ]
    assert github_api.status_reports(run.id) == [
        {"environment_name": "production", "comment": "Score 80 %: 2 blockers"}
    ]
    assert len(github_api.reviews(run.id)) == 3


def test_commits_are_compared_page_by_page_and_read_one_by_one(github_api):
    """repos/compare-commits (the comparison schema, paged by per_page and page
    with a Link header, 404 for an unknown ref) and repos/get-commit (422 for an
    unknown sha), per rest-api-description; both need Contents: Read."""
    github_api.add_installation(31337, repositories=("octo-org/shop",))
    shas = [f"{n:02d}" * 20 for n in range(1, 6)]
    github_api.add_commits("octo-org/shop", [(sha, 1_780_000_000) for sha in shas])
    token = _installation_token(github_api, 31337)
    auth = {"Authorization": f"Bearer {token}"}
    api = f"{github_api.url}/repos/octo-org/shop"

    first = client().get(
        f"{api}/compare/{shas[0]}...{shas[4]}", params={"per_page": 3}, headers=auth
    )
    second = client().get(first.links["next"]["url"], headers=auth)
    behind = client().get(f"{api}/compare/{shas[4]}...{shas[1]}", headers=auth).json()
    unknown = client().get(f"{api}/compare/{shas[0]}...{'f' * 40}", headers=auth)
    one = client().get(f"{api}/commits/{shas[2]}", headers=auth).json()
    missing = client().get(f"{api}/commits/{'e' * 40}", headers=auth)

    body = first.json()
    assert (body["status"], body["ahead_by"], body["total_commits"]) == (
        "ahead",
        4,
        4,
    )
    assert [c["sha"] for c in body["commits"] + second.json()["commits"]] == shas[1:]
    assert "next" not in second.links
    assert body["commits"][0]["commit"]["committer"]["date"] == "2026-05-28T20:26:40Z"
    assert (behind["status"], behind["behind_by"], behind["commits"]) == (
        "behind",
        3,
        [],
    )
    assert unknown.status_code == 404
    assert (one["sha"], one["parents"][0]["sha"]) == (shas[2], shas[1])
    assert missing.status_code == 422
    assert missing.json()["message"] == f"No commit found for SHA: {'e' * 40}"

    github_api.add_installation(
        4242, repositories=("octo-org/shop",), permissions={"metadata": "read"}
    )
    narrow = _installation_token(github_api, 4242)
    refused = client().get(
        f"{api}/commits/{shas[2]}", headers={"Authorization": f"Bearer {narrow}"}
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by integration"


def test_the_callback_refuses_what_github_refuses(github_api):
    """Installation token required; Markdown up to 1,024 characters; up to 10
    status reports (github/docs create-custom-protection-rules.md)."""
    github_api.add_installation(31337, repositories=("octo-org/shop",))
    github_api.add_installation(4, account="other", repositories=("other/app",))
    run = github_api.add_waiting_run("octo-org/shop", environment="production")
    callback = github_api.callback_url("octo-org/shop", run.id)
    auth = {"Authorization": f"Bearer {_installation_token(github_api, 31337)}"}
    other = {"Authorization": f"Bearer {_installation_token(github_api, 4)}"}
    report = {"environment_name": "production", "comment": "waiting"}

    def post(body: dict, headers: dict = auth) -> int:
        return client().post(callback, json=body, headers=headers).status_code

    statuses = {
        "no token": post(report, {}),
        "app JWT": post(report, {"Authorization": f"Bearer {github_api.app_jwt()}"}),
        "other installation": post(report, other),
        "long comment": post({"environment_name": "production", "comment": "x" * 1025}),
        "bad state": post({"environment_name": "production", "state": "ok"}),
        "other environment": post({"environment_name": "staging", "state": "approved"}),
    }
    reports = [post(report) for _ in range(11)]

    assert statuses == {
        "no token": 401,
        "app JWT": 401,
        "other installation": 404,
        "long comment": 422,
        "bad state": 422,
        "other environment": 422,
    }
    assert reports == [204] * 10 + [422]
    assert github_api.decisions(run.id) == []


def test_github_webhooks_carry_githubs_headers_and_signature(webhook_receiver):
    """Delivery headers per docs.github.com/en/webhooks/webhook-events-and-payloads;
    X-Hub-Signature-256 over the raw body."""
    webhook_receiver.reset()
    sender = github_webhooks.GitHubWebhookSender("s3cret", app_id=424242)
    payload = {"action": "requested", "environment": "production"}
    url = f"{webhook_receiver.url}/integrations/github/webhook"

    first = sender.deliver(url, "deployment_protection_rule", payload)
    again = sender.redeliver(url, first)
    wrong = sender.deliver(url, "ping", payload, signature="wrong")
    missing = sender.deliver(url, "ping", payload, signature="missing")

    got = [delivery.headers for delivery in webhook_receiver.deliveries]
    body = webhook_receiver.deliveries[0].body
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert got[0]["x-github-event"] == "deployment_protection_rule"
    assert got[0]["user-agent"].startswith("GitHub-Hookshot/")
    assert got[0]["x-github-hook-installation-target-type"] == "integration"
    assert got[0]["x-github-hook-installation-target-id"] == "424242"
    assert got[0]["content-type"] == "application/json"
    assert got[0]["x-hub-signature-256"] == expected
    assert json.loads(body) == payload
    assert again.delivery_id == first.delivery_id
    assert webhook_receiver.deliveries[1].body == body
    assert got[1]["x-hub-signature-256"] == expected
    assert wrong.request.headers[
        "X-Hub-Signature-256"
    ] != github_webhooks.github_signature("s3cret", wrong.request.body)
    assert "x-hub-signature-256" not in got[3]
    assert "x-hub-signature" not in got[3]
    assert missing.delivery_id != first.delivery_id


def test_github_payloads_have_the_keys_the_published_schemas_require():
    """octokit/webhooks payload-schemas/api.github.com: deployment_protection_rule/
    requested.schema.json (additionalProperties false), deployment_status/
    created.schema.json, common/deployment.schema.json, common/user.schema.json."""
    requested = github_webhooks.deployment_protection_rule_requested(
        api_url="http://127.0.0.1:1",
        repository_name="octo-org/shop",
        environment="production",
        run_id=77,
        sha="a" * 40,
        ref="v1.2.3",
    )
    status = github_webhooks.deployment_status_created(
        state="failure", sha="a" * 40, deployment_id=5, run_id=77
    )

    assert set(requested) == {
        "action",
        "environment",
        "event",
        "deployment_callback_url",
        "deployment",
        "pull_requests",
        "repository",
        "sender",
        "installation",
        "organization",
    }
    assert requested["deployment_callback_url"] == (
        "http://127.0.0.1:1/repos/octo-org/shop/actions/runs/77/deployment_protection_rule"
    )
    assert requested["deployment"]["ref"] == "v1.2.3"
    assert {"action", "deployment_status", "deployment", "repository", "sender"} <= set(
        status
    )
    assert {
        "url", "id", "node_id", "state", "creator", "description", "environment",
        "target_url", "created_at", "updated_at", "deployment_url", "repository_url",
    } <= set(status["deployment_status"])  # fmt: skip
    assert {
        "url", "id", "node_id", "sha", "ref", "task", "payload", "original_environment",
        "environment", "description", "creator", "created_at", "updated_at",
        "statuses_url", "repository_url",
    } <= set(requested["deployment"])  # fmt: skip
    assert {
        "login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
        "followers_url", "following_url", "gists_url", "starred_url",
        "subscriptions_url", "organizations_url", "repos_url", "events_url",
        "received_events_url", "type", "site_admin",
    } == set(requested["sender"])  # fmt: skip


def _installation_token(github_api, installation_id: int) -> str:
    response = client().post(
        f"{github_api.url}/app/installations/{installation_id}/access_tokens",
        headers={"Authorization": f"Bearer {github_api.app_jwt()}"},
    )
    return response.json()["token"]
