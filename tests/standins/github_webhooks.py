"""GitHub's webhook deliveries as a GitHub App receives them: payload builders and a
sender that signs and posts them as GitHub's Hookshot does.

Sources:

- Payloads `deployment_protection_rule` (action `requested`) and
  `deployment_status` (action `created`): octokit/webhooks
  payload-schemas/api.github.com/deployment_protection_rule/requested.schema.json,
  payload-schemas/api.github.com/deployment_status/created.schema.json and
  payload-examples/api.github.com/deployment_status/with-installation.payload.json;
  user and repository objects carry every key that common/user.schema.json and
  common/repository.schema.json require.
- Delivery headers (X-GitHub-Event, X-GitHub-Delivery, X-GitHub-Hook-ID,
  X-GitHub-Hook-Installation-Target-Type/-ID, X-Hub-Signature-256 =
  "sha256=" + hex HMAC-SHA256 of the raw body, User-Agent GitHub-Hookshot/…):
  docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers and
  docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  (whose worked example tests/standins/test_github_standin.py checks).

Bodies are compact JSON, so a receiver that parses and re-serialises before
checking the signature fails, as it would against GitHub.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from tests.standins.loopback import SignedRequest

AVATARS = "https://avatars.githubusercontent.com/u"
_ids = itertools.count(2_000_001)


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def github_signature(secret: str | bytes, body: bytes) -> str:
    """X-Hub-Signature-256 as GitHub sends it: sha256= + hex HMAC of the raw body."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def stable_id(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


def user(login: str = "octocat", *, type: str = "User") -> dict[str, Any]:
    """A user with every key octokit/webhooks common/user.schema.json requires."""
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": stable_id("user", login),
        "node_id": "U_" + hashlib.sha256(login.encode()).hexdigest()[:12],
        "avatar_url": f"{AVATARS}/{stable_id('user', login)}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": type,
        "site_admin": False,
    }


_REPO_URLS = {
    "forks_url": "/forks", "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}", "teams_url": "/teams",
    "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
    "events_url": "/events", "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}", "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}", "languages_url": "/languages",
    "stargazers_url": "/stargazers", "contributors_url": "/contributors",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}", "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}", "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges", "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads", "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}", "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}  # fmt: skip


def repository(full_name: str = "octo-org/shop") -> dict[str, Any]:
    """A repository object with every key common/repository.schema.json requires."""
    owner, name = full_name.split("/", 1)
    api = f"https://api.github.com/repos/{full_name}"
    return {
        "id": stable_id("repo", full_name),
        "node_id": "R_" + hashlib.sha256(full_name.encode()).hexdigest()[:12],
        "name": name,
        "full_name": full_name,
        "private": True,
        "owner": user(owner, type="Organization"),
        "html_url": f"https://github.com/{full_name}",
        "description": None,
        "fork": False,
        "url": api,
        **{key: api + suffix for key, suffix in _REPO_URLS.items()},
        "created_at": "2024-01-15T09:00:00Z",
        "updated_at": "2026-05-01T09:00:00Z",
        "pushed_at": "2026-05-01T09:00:00Z",
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"https://github.com/{full_name}.git",
        "svn_url": f"https://github.com/{full_name}",
        "homepage": None,
        "size": 1024,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": "Python",
        "has_issues": True,
        "has_projects": False,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "open_issues_count": 0,
        "license": None,
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
        "default_branch": "main",
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "private",
        "custom_properties": {},
    }


def deployment(
    *,
    repository_name: str,
    environment: str,
    sha: str,
    ref: str,
    deployment_id: int,
    creator: str = "github-actions[bot]",
) -> dict[str, Any]:
    """A deployment object (common/deployment.schema.json) as Actions creates it."""
    api = f"https://api.github.com/repos/{repository_name}/deployments/{deployment_id}"
    return {
        "url": api,
        "id": deployment_id,
        "node_id": "DE_" + secrets.token_hex(6),
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "transient_environment": False,
        "production_environment": environment == "production",
        "description": None,
        "creator": user(creator, type="Bot"),
        "created_at": iso(time.time()),
        "updated_at": iso(time.time()),
        "statuses_url": f"{api}/statuses",
        "repository_url": f"https://api.github.com/repos/{repository_name}",
        "performed_via_github_app": None,
    }


def deployment_protection_rule_requested(
    *,
    api_url: str,
    repository_name: str = "octo-org/shop",
    environment: str = "production",
    run_id: int,
    sha: str,
    ref: str = "main",
    installation_id: int = 31337,
    event: str = "push",
    deployment_id: int | None = None,
    sender: str = "octocat",
) -> dict[str, Any]:
    """The `deployment_protection_rule` webhook, action `requested`.

    Keys as octokit/webhooks payload-schemas/api.github.com/
    deployment_protection_rule/requested.schema.json (additionalProperties:
    false): the run id is only in `deployment_callback_url`, which points at
    `api_url` (the stand-in's URL in tests).
    """
    owner = repository_name.split("/")[0]
    return {
        "action": "requested",
        "environment": environment,
        "event": event,
        "deployment_callback_url": (
            f"{api_url}/repos/{repository_name}/actions/runs/{run_id}"
            "/deployment_protection_rule"
        ),
        "deployment": deployment(
            repository_name=repository_name,
            environment=environment,
            sha=sha,
            ref=ref,
            deployment_id=deployment_id or next(_ids),
        ),
        "pull_requests": [],
        "repository": repository(repository_name),
        "organization": {
            "login": owner,
            "id": stable_id("user", owner),
            "node_id": "O_" + hashlib.sha256(owner.encode()).hexdigest()[:12],
            "url": f"https://api.github.com/orgs/{owner}",
            "repos_url": f"https://api.github.com/orgs/{owner}/repos",
            "events_url": f"https://api.github.com/orgs/{owner}/events",
            "hooks_url": f"https://api.github.com/orgs/{owner}/hooks",
            "issues_url": f"https://api.github.com/orgs/{owner}/issues",
            "members_url": f"https://api.github.com/orgs/{owner}/members{{/member}}",
            "public_members_url": f"https://api.github.com/orgs/{owner}/public_members{{/member}}",
            "avatar_url": f"{AVATARS}/{stable_id('user', owner)}?v=4",
            "description": None,
        },
        "sender": user(sender),
        "installation": {
            "id": installation_id,
            "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u",
        },
    }


def deployment_status_created(
    *,
    repository_name: str = "octo-org/shop",
    environment: str = "production",
    state: str = "success",
    sha: str,
    ref: str = "main",
    deployment_id: int,
    installation_id: int = 31337,
    run_id: int | None = None,
    environment_url: str = "",
) -> dict[str, Any]:
    """The `deployment_status` webhook, action `created` (states: error, failure,
    inactive, pending, success, queued, in_progress), after
    payload-examples/api.github.com/deployment_status/with-installation.payload.json."""
    dep = deployment(
        repository_name=repository_name,
        environment=environment,
        sha=sha,
        ref=ref,
        deployment_id=deployment_id,
    )
    status_id = next(_ids)
    log_url = (
        f"https://github.com/{repository_name}/actions/runs/{run_id}" if run_id else ""
    )
    payload = {
        "action": "created",
        "deployment_status": {
            "url": f"{dep['url']}/statuses/{status_id}",
            "id": status_id,
            "node_id": "DES_" + secrets.token_hex(6),
            "state": state,
            "creator": user("github-actions[bot]", type="Bot"),
            "description": "",
            "environment": environment,
            "environment_url": environment_url,
            "log_url": log_url,
            "target_url": log_url,
            "created_at": iso(time.time()),
            "updated_at": iso(time.time()),
            "deployment_url": dep["url"],
            "repository_url": dep["repository_url"],
            "performed_via_github_app": None,
        },
        "deployment": dep,
        "repository": repository(repository_name),
        "sender": user("github-actions[bot]", type="Bot"),
        "installation": {
            "id": installation_id,
            "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u",
        },
    }
    if run_id:
        payload["workflow_run"] = {"id": run_id, "head_sha": sha, "head_branch": ref}
    return payload


Signature = Literal["valid", "wrong", "missing", "sha1-only"]


class GitHubWebhookSender:
    """Builds and delivers GitHub webhook requests as GitHub's Hookshot sends them.

    `signature` bends the signing for refusal tests: "wrong" signs with another
    secret, "missing" sends no signature header, "sha1-only" sends only the
    legacy X-Hub-Signature. `redeliver()` resends the same body under the same
    X-GitHub-Delivery, as a redelivery from the app's settings page does.
    """

    def __init__(self, secret: str, *, app_id: int = 424242, hook_id: int = 448844):
        self.secret = secret
        self.app_id = app_id
        self.hook_id = hook_id

    def build(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        delivery_id: str | None = None,
        signature: Signature = "valid",
    ) -> SignedRequest:
        body = json.dumps(payload, separators=(",", ":")).encode()
        secret = self.secret if signature != "wrong" else self.secret + "-but-wrong"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/a1b2c3d",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(self.hook_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-GitHub-Hook-Installation-Target-ID": str(self.app_id),
        }
        if signature in ("valid", "wrong", "sha1-only"):
            headers["X-Hub-Signature"] = (
                "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
            )
        if signature in ("valid", "wrong"):
            headers["X-Hub-Signature-256"] = github_signature(secret, body)
        return SignedRequest(headers, body)

    def deliver(
        self, url: str, event: str, payload: dict[str, Any], **options: Any
    ) -> Delivery:
        request = self.build(event, payload, **options)
        return Delivery(request, request.post(url))

    def redeliver(self, url: str, delivery: Delivery) -> Delivery:
        return Delivery(delivery.request, delivery.request.post(url))


@dataclass(frozen=True)
class Delivery:
    """A sent webhook request and the receiver's answer."""

    request: SignedRequest
    response: httpx.Response

    @property
    def delivery_id(self) -> str:
        return self.request.headers["X-GitHub-Delivery"]
