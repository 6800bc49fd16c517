"""GitLab's REST API v4 as the approvals bot sees it: blocked deployments, their
approval, and merge request status check responses.

No models here: callers pass the project path and the access token. GITLAB_URL
is read where a call is made, so tests point it at a stand-in. The token goes in
the PRIVATE-TOKEN header only; it never reaches a log line or an exception
message.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

TIMEOUT = 10.0
MAX_PAGES = 20
MAX_COMMENT = 1000


class GitLabError(Exception):
    """GitLab refused or could not be reached; the message names the call only."""


@dataclass(frozen=True)
class BlockedDeployment:
    """A deployment waiting for approval, as GET .../deployments lists it."""

    id: int
    environment: str
    sha: str
    ref: str
    tag: bool
    job_id: int | None
    pipeline_id: int | None


def _project_url(project_path: str) -> str:
    # GitLab takes a project's URL-encoded path wherever it takes its id.
    return f"{settings.GITLAB_URL}/api/v4/projects/{quote(project_path, safe='')}"


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")[:200]
    return ""


def _request(method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            return client.request(
                method,
                url,
                headers={"PRIVATE-TOKEN": token, "User-Agent": "Shipshape"},
                **kwargs,
            )
    except httpx.HTTPError as error:
        raise GitLabError(
            f"GitLab could not be reached: {type(error).__name__}"
        ) from None


def blocked_deployments(project_path: str, token: str) -> list[BlockedDeployment]:
    """The project's deployments waiting for approval (every page, up to 2,000)."""
    found: list[BlockedDeployment] = []
    page = "1"
    for _ in range(MAX_PAGES):
        response = _request(
            "GET",
            f"{_project_url(project_path)}/deployments",
            token,
            params={"status": "blocked", "per_page": 100, "page": page},
        )
        if response.status_code != 200:
            raise GitLabError(
                f"GitLab refused the blocked deployments of {project_path}: "
                f"{response.status_code} {_message(response)}"
            )
        for row in response.json():
            deployable = row.get("deployable") or {}
            found.append(
                BlockedDeployment(
                    id=int(row["id"]),
                    environment=str((row.get("environment") or {}).get("name", "")),
                    sha=str(row.get("sha", "")),
                    ref=str(row.get("ref", "")),
                    tag=bool(deployable.get("tag")),
                    job_id=deployable.get("id"),
                    pipeline_id=(deployable.get("pipeline") or {}).get("id"),
                )
            )
        page = response.headers.get("X-Next-Page", "")
        if not page:
            break
    return found


def approve(
    project_path: str,
    deployment_id: int,
    token: str,
    *,
    status: str,
    comment: str,
    represented_as: str = "",
) -> None:
    """Approve or reject a blocked deployment (status approved or rejected)."""
    body: dict[str, Any] = {"status": status, "comment": comment[:MAX_COMMENT]}
    if represented_as:
        body["represented_as"] = represented_as
    response = _request(
        "POST",
        f"{_project_url(project_path)}/deployments/{deployment_id}/approval",
        token,
        json=body,
    )
    if response.status_code not in (200, 201):
        raise GitLabError(
            f"GitLab refused the {status} of deployment {deployment_id}: "
            f"{response.status_code} {_message(response)}"
        )


def status_check_response(
    project_path: str,
    merge_request_iid: int,
    token: str,
    *,
    sha: str,
    check_id: int,
    status: str,
) -> None:
    """Set an external status check of a merge request's head to passed or failed."""
    response = _request(
        "POST",
        f"{_project_url(project_path)}/merge_requests/{merge_request_iid}"
        "/status_check_responses",
        token,
        json={"sha": sha, "external_status_check_id": check_id, "status": status},
    )
    if response.status_code not in (200, 201):
        raise GitLabError(
            f"GitLab refused the status check of !{merge_request_iid}: "
            f"{response.status_code} {_message(response)}"
        )
