"""GitLab's outgoing requests to Shipshape: webhook payloads and deliveries, and
external status check requests.

Sources:

- Webhook headers: Content-Type, User-Agent "GitLab/<version>", X-Gitlab-Event
  ("Merge Request Hook", "Deployment Hook", ...), X-Gitlab-Instance,
  X-Gitlab-Webhook-UUID, X-Gitlab-Event-UUID, Idempotency-Key and, when a secret
  token is set, X-Gitlab-Token (docs.gitlab.com/user/project/integrations/webhooks/
  "Delivery headers"; gitlab-org/gitlab merge requests 98624 and 125338); with a
  signing token, Standard Webhooks headers whose webhook-id is the
  Idempotency-Key (merge request 230944; see tests/standins/standard_webhooks.py).
- Payloads: "Merge request events" and "Deployment events" in
  docs.gitlab.com/user/project/integrations/webhook_events/.
- External status check requests: the merge request webhook payload plus
  `external_approval_rule` {id, name, external_url}, sent to the check's URL,
  signed with X-Gitlab-Signature = hex HMAC-SHA256 of the raw body under the
  check's shared secret (docs.gitlab.com/user/project/merge_requests/status_checks/,
  docs.gitlab.com/api/status_checks/ "Example payload sent to external service",
  gitlab-org/gitlab issue 433035); a check left pending fails after two minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from tests.standins.gitlab import (
    Deployment,
    MergeRequest,
    Project,
    StatusCheck,
    iso,
    number,
)
from tests.standins.loopback import SignedRequest
from tests.standins.standard_webhooks import headers_for

GITLAB_VERSION = "18.6.0-ee"


def gitlab_signature(secret: str, body: bytes) -> str:
    """The X-Gitlab-Signature of a status check request: hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def project_json(
    project: Project, *, base_url: str = "https://gitlab.example.com"
) -> dict[str, Any]:
    namespace = project.path_with_namespace.rsplit("/", 1)[0]
    web = f"{base_url}/{project.path_with_namespace}"
    return {
        "id": project.id,
        "name": project.name,
        "description": "",
        "web_url": web,
        "avatar_url": None,
        "git_ssh_url": f"git@gitlab.example.com:{project.path_with_namespace}.git",
        "git_http_url": f"{web}.git",
        "namespace": namespace,
        "visibility_level": 0,
        "path_with_namespace": project.path_with_namespace,
        "default_branch": "main",
        "ci_config_path": "",
        "homepage": web,
        "url": f"git@gitlab.example.com:{project.path_with_namespace}.git",
        "ssh_url": f"git@gitlab.example.com:{project.path_with_namespace}.git",
        "http_url": f"{web}.git",
    }


def merge_request_event(
    mr: MergeRequest,
    *,
    action: str = "update",
    status_check: StatusCheck | None = None,
    base_url: str = "https://gitlab.example.com",
) -> dict[str, Any]:
    """A "Merge Request Hook" payload; with `status_check`, the external status
    check request (the same payload plus `external_approval_rule`)."""
    project = project_json(mr.project, base_url=base_url)
    author = {
        "id": number("author"),
        "name": "Ada Author",
        "username": "ada",
        "email": "[REDACTED]",
    }
    payload: dict[str, Any] = {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": author | {"avatar_url": None},
        "project": project,
        "object_attributes": {
            "id": mr.id,
            "iid": mr.iid,
            "target_branch": mr.target_branch,
            "source_branch": mr.source_branch,
            "source_project_id": mr.project.id,
            "target_project_id": mr.project.id,
            "author_id": author["id"],
            "title": mr.title,
            "description": "",
            "state": "opened",
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "draft": False,
            "work_in_progress": False,
            "url": f"{project['web_url']}/-/merge_requests/{mr.iid}",
            "source": project,
            "target": project,
            "last_commit": {
                "id": mr.sha,
                "message": "Ship the thing\n",
                "title": "Ship the thing",
                "timestamp": iso(time.time()),
                "url": f"{project['web_url']}/-/commit/{mr.sha}",
                "author": {"name": "Ada Author", "email": "ada@example.com"},
            },
            "action": action,
            "created_at": "2026-05-01 09:00:00 UTC",
            "updated_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        },
        "labels": [],
        "changes": {},
        "repository": {
            "name": mr.project.name,
            "url": project["url"],
            "description": "",
            "homepage": project["web_url"],
        },
    }
    if status_check is not None:
        payload["external_approval_rule"] = {
            "id": status_check.id,
            "name": status_check.name,
            "external_url": status_check.external_url,
        }
    return payload


def deployment_event(
    deployment: Deployment,
    *,
    status: str = "success",
    base_url: str = "https://gitlab.example.com",
) -> dict[str, Any]:
    """A "Deployment Hook" payload (status running, success, failed or canceled)."""
    project = project_json(deployment.project, base_url=base_url)
    return {
        "object_kind": "deployment",
        "status": status,
        "status_changed_at": time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime()),
        "deployment_id": deployment.id,
        "deployable_id": deployment.job_id,
        "deployable_url": f"{project['web_url']}/-/jobs/{deployment.job_id}",
        "environment": deployment.environment,
        "environment_tier": deployment.environment
        if deployment.environment in ("production", "staging")
        else "other",
        "environment_slug": deployment.environment,
        "environment_external_url": f"https://{deployment.environment}.example.com",
        "project": project,
        "short_sha": deployment.sha[:8],
        "user": {
            "id": number("deployer"),
            "name": "Deployer",
            "username": "deployer",
            "avatar_url": None,
            "email": "[REDACTED]",
        },
        "user_url": f"{base_url}/deployer",
        "commit_url": f"{project['web_url']}/-/commit/{deployment.sha}",
        "commit_title": "Ship it",
        "ref": deployment.ref,
    }


class GitLabWebhookSender:
    """Builds GitLab webhook requests and external status check requests.

    A webhook carries X-Gitlab-Token when `token` is set and Standard Webhooks
    headers when `signing_token` (whsec_…) is set; `token="wrong"`-style bending
    is done by passing another value to build().
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        signing_token: str | None = None,
        instance: str = "https://gitlab.example.com",
    ):
        self.token = token
        self.signing_token = signing_token
        self.instance = instance

    def build(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        token: str | None = None,
        signing_token: str | None = None,
        idempotency_key: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A webhook; `event` is the X-Gitlab-Event value, e.g. "Deployment Hook"."""
        body = json.dumps(payload).encode()
        key = idempotency_key or str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"GitLab/{GITLAB_VERSION}",
            "X-Gitlab-Event": event,
            "X-Gitlab-Instance": self.instance,
            "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "Idempotency-Key": key,
        }
        token = token if token is not None else self.token
        if token is not None:
            headers["X-Gitlab-Token"] = token
        signing_token = (
            signing_token if signing_token is not None else self.signing_token
        )
        if signing_token is not None:
            headers |= headers_for(signing_token, body, msg_id=key, timestamp=timestamp)
        return SignedRequest(headers, body)

    def status_check_request(
        self, payload: dict[str, Any], *, shared_secret: str | None = None
    ) -> SignedRequest:
        """The request GitLab sends to an external status check's URL."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"GitLab/{GITLAB_VERSION}",
        }
        if shared_secret is not None:
            headers["X-Gitlab-Signature"] = gitlab_signature(shared_secret, body)
        return SignedRequest(headers, body)
