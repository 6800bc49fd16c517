"""GitHub's REST API as a GitHub App: app JWTs, installation tokens, gate reviews.

No models here: callers pass the installation id and URLs. Settings are read
where a call is made, so tests point GITHUB_API_URL at a stand-in. The app's
key and its tokens never reach a log line or an exception message.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import jwt
from django.conf import settings

TIMEOUT = 10.0
# A token is used until this many seconds before GitHub's expiry (an hour).
TOKEN_MARGIN = 300
MAX_COMMENT = 1024
_tokens: dict[tuple[str, str, int], tuple[str, float]] = {}
_lock = threading.Lock()


class GitHubError(Exception):
    """GitHub refused or could not be reached; the message names the call only."""


@dataclass(frozen=True)
class WaitingRun:
    """A workflow run waiting on a deployment protection rule, and its environments."""

    id: int
    head_sha: str
    head_branch: str
    environments: tuple[str, ...]


def configured() -> bool:
    return bool(settings.GITHUB_APP_ID and settings.GITHUB_APP_PRIVATE_KEY)


def app_jwt(now: float | None = None) -> str:
    """The app's RS256 JWT: iss = app id, iat 60 s in the past, exp 9 minutes on."""
    issued = int(now if now is not None else time.time()) - 60
    claims = {"iat": issued, "exp": issued + 540, "iss": str(settings.GITHUB_APP_ID)}
    return jwt.encode(claims, settings.GITHUB_APP_PRIVATE_KEY, algorithm="RS256")


def _client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT,
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "Shipshape",
        },
    )


def installation_token(installation_id: int, *, fresh: bool = False) -> str:
    """An installation access token, cached until TOKEN_MARGIN before it expires."""
    key = (settings.GITHUB_API_URL, str(settings.GITHUB_APP_ID), installation_id)
    with _lock:
        cached = _tokens.get(key)
    if cached and not fresh and cached[1] - TOKEN_MARGIN > time.time():
        return cached[0]
    url = f"{settings.GITHUB_API_URL}/app/installations/{installation_id}/access_tokens"
    try:
        with _client() as client:
            response = client.post(
                url, headers={"Authorization": f"Bearer {app_jwt()}"}
            )
    except httpx.HTTPError as error:
        raise GitHubError(
            f"GitHub could not be reached: {type(error).__name__}"
        ) from None
    if response.status_code != 201:
        raise GitHubError(
            f"GitHub refused an installation token for {installation_id}: "
            f"{response.status_code} {_message(response)}"
        )
    body = response.json()
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    with _lock:
        _tokens[key] = (body["token"], expires.timestamp())
    return body["token"]


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return ""


def call(
    method: str, url: str, installation_id: int, *, json: Any = None
) -> httpx.Response:
    """Call the API as the installation; a token GitHub no longer takes is
    fetched again once."""
    for attempt in (1, 2):
        token = installation_token(installation_id, fresh=attempt == 2)
        try:
            with _client() as client:
                response = client.request(
                    method, url, json=json, headers={"Authorization": f"Bearer {token}"}
                )
        except httpx.HTTPError as error:
            raise GitHubError(
                f"GitHub could not be reached: {type(error).__name__}"
            ) from None
        if response.status_code != 401:
            return response
    return response


def review(
    callback_url: str,
    installation_id: int,
    *,
    environment_name: str,
    comment: str,
    state: str | None = None,
) -> None:
    """Post a status comment (no state) or a decision to the deployment's
    callback URL (review-custom-gates-for-run)."""
    body: dict[str, Any] = {
        "environment_name": environment_name,
        "comment": comment[:MAX_COMMENT],
    }
    if state:
        body["state"] = state
    response = call("POST", callback_url, installation_id, json=body)
    if response.status_code not in (200, 204):
        raise GitHubError(
            f"GitHub refused the review of {environment_name}: "
            f"{response.status_code} {_message(response)}"
        )


def waiting_runs(repository: str, installation_id: int) -> list[WaitingRun]:
    """The repository's runs waiting on a rule, with their pending environments."""
    base = f"{settings.GITHUB_API_URL}/repos/{repository}/actions/runs"
    url: str | None = f"{base}?status=waiting&per_page=100"
    runs: list[WaitingRun] = []
    while url:
        response = call("GET", url, installation_id)
        if response.status_code != 200:
            raise GitHubError(
                f"GitHub refused the waiting runs of {repository}: "
                f"{response.status_code} {_message(response)}"
            )
        for run in response.json().get("workflow_runs", []):
            pending = call(
                "GET", f"{base}/{run['id']}/pending_deployments", installation_id
            )
            if pending.status_code != 200:
                continue
            names = tuple(entry["environment"]["name"] for entry in pending.json())
            runs.append(
                WaitingRun(
                    run["id"], run["head_sha"], run.get("head_branch") or "", names
                )
            )
        url = response.links.get("next", {}).get("url")
    return runs


# The compare API lists at most this many commits a page; a release's commits
# stop at apps.releases.delivery.MAX_COMMITS.
COMPARE_PAGE = 100
COMPARE_PAGES = 10


def _commit(entry: dict) -> dict[str, Any]:
    """A commit object of the REST API as {"sha", "committed_at"}: the
    committer's date (when it was committed), else the author's."""
    dates = entry.get("commit") or {}
    stamp = (dates.get("committer") or {}).get("date") or (
        dates.get("author") or {}
    ).get("date")
    if not isinstance(stamp, str) or not isinstance(entry.get("sha"), str):
        raise GitHubError("GitHub answered a commit without its sha or date.")
    return {
        "sha": entry["sha"],
        "committed_at": datetime.fromisoformat(stamp.replace("Z", "+00:00")),
    }


def commits(
    repository: str, installation_id: int, *, head: str, base: str = ""
) -> list[dict[str, Any]]:
    """The commits a deploy of `head` carries: those after `base` (the compare
    API, `GET /repos/{repo}/compare/{base}...{head}`, page by page), or with no
    base the head commit alone (`GET /repos/{repo}/commits/{sha}`)."""
    api = f"{settings.GITHUB_API_URL}/repos/{repository}"
    if not base:
        response = call("GET", f"{api}/commits/{head}", installation_id)
        if response.status_code != 200:
            raise GitHubError(
                f"GitHub refused commit {head[:12]} of {repository}: "
                f"{response.status_code} {_message(response)}"
            )
        return [_commit(response.json())]
    found: list[dict[str, Any]] = []
    url: str | None = f"{api}/compare/{base}...{head}?per_page={COMPARE_PAGE}"
    for _page in range(COMPARE_PAGES):
        if url is None:
            break
        response = call("GET", url, installation_id)
        if response.status_code != 200:
            raise GitHubError(
                f"GitHub refused the comparison {base[:12]}...{head[:12]} of "
                f"{repository}: {response.status_code} {_message(response)}"
            )
        found += [_commit(entry) for entry in response.json().get("commits", [])]
        url = response.links.get("next", {}).get("url")
    return found
