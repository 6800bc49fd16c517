"""A loopback stand-in for GitHub's REST API as a GitHub App sees it.

It speaks GitHub's real paths, headers and payloads on 127.0.0.1. Sources:

- App authentication (RS256 JWT, `iss` = app id, `iat` 60 s in the past, `exp` at
  most 10 minutes ahead) and `POST /app/installations/{installation_id}/access_tokens`
  (201, `token` + `expires_at` one hour ahead): docs.github.com/en/apps/
  creating-github-apps/authenticating-with-a-github-app/
  generating-a-json-web-token-jwt-for-a-github-app and the `installation-token`
  schema in github/rest-api-description (descriptions/api.github.com/
  api.github.com.yaml, as mirrored in php-api-clients/github
  src/Schema/InstallationToken.php).
- `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`
  (operation actions/review-custom-gates-for-run: body anyOf
  {environment_name, comment} | {environment_name, state approved|rejected,
  comment?}; 204; up to 10 status reports, Markdown up to 1,024 characters):
  github/docs content/actions/how-tos/deploy/configure-and-manage-deployments/
  create-custom-protection-rules.md and the request schema in
  github/rest-api-description (php-api-clients/github
  src/Schema/Actions/ReviewCustomGatesForRun/Request/ApplicationJson.php).
- `GET /repos/{owner}/{repo}/actions/runs?status=waiting` ({total_count,
  workflow_runs}) and `GET .../actions/runs/{run_id}/pending_deployments`
  (`pending-deployment` schema: environment, wait_timer, wait_timer_started_at,
  current_user_can_approve, reviewers): github/rest-api-description
  (php-api-clients/github src/Schema/PendingDeployment.php).
- `GET /repos/{owner}/{repo}/compare/{base}...{head}` (operation
  repos/compare-commits: the `comparison` schema, {url, html_url, permalink_url,
  diff_url, patch_url, base_commit, merge_base_commit, status
  diverged|ahead|behind|identical, ahead_by, behind_by, total_commits, commits,
  files}; `per_page` and `page` page the commits, with a Link header; 404 for
  an unknown ref) and `GET /repos/{owner}/{repo}/commits/{ref}` (operation
  repos/get-commit: the `commit` schema, {url, sha, node_id, html_url,
  comments_url, commit {author, committer {name, email, date}, message, tree,
  comment_count, verification}, author, committer, parents, stats, files}; 422
  "No commit found for SHA: …"): docs.github.com/en/rest/commits/commits and
  github/rest-api-description (php-api-clients/github src/Schema/Commit.php and
  CommitComparison.php); both need the app's *Contents: Read* permission (403
  "Resource not accessible by integration" without it). A repository's
  history is one line of commits (`add_commits`), so the merge base is always
  the base.

The webhooks GitHub sends (payloads, headers, signature) are built by
tests/standins/github_webhooks.py. Where GitHub publishes the status but not the
wording of an error (a JWT too long-lived, an 11th status report), the stand-in
answers that status with its own message.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.standins.github_webhooks import iso, repository, stable_id, user
from tests.standins.keys import RsaKey
from tests.standins.loopback import Call, LoopbackStandIn, Reply, Request

DOCS = "https://docs.github.com/rest"
REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
MAX_JWT_LIFETIME = 600
MAX_STATUS_REPORTS = 10
MAX_COMMENT = 1024
_ids = itertools.count(1_000_001)


@dataclass
class Installation:
    """A GitHub App installation: its account and the repositories it can see."""

    id: int
    account: str
    repositories: list[str]
    permissions: dict[str, str]


@dataclass
class IssuedToken:
    token: str
    installation_id: int
    repositories: list[str]
    expires_at: float


@dataclass
class WorkflowRun:
    """A workflow run whose job waits on a custom deployment protection rule."""

    id: int
    repository: str
    environments: list[str]
    head_sha: str
    head_branch: str
    event: str
    name: str
    run_number: int
    created_at: float
    status: str = "waiting"
    conclusion: str | None = None
    decisions: dict[str, str] = field(default_factory=dict)
    status_reports: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> list[str]:
        return [name for name in self.environments if name not in self.decisions]


class GitHubAPI(LoopbackStandIn):
    """GitHub's REST API for one GitHub App, on 127.0.0.1 (see the module docstring).

    Point GITHUB_API_URL at `url`, GITHUB_APP_ID at `app_id` and
    GITHUB_APP_PRIVATE_KEY at `private_key_pem`. Every request is recorded in
    `calls`; reviews of a run are read back with `reviews()`, `decisions()` and
    `status_reports()`.
    """

    def __init__(
        self, *, app_id: int = 424242, app_key: RsaKey | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.app_id = app_id
        self.app_key = app_key or RsaKey.generate()
        self.reset()
        self.route(
            "POST",
            r"/app/installations/(?P<installation>\d+)/access_tokens",
            self._access_token,
        )
        self.route("GET", REPO + r"/actions/runs", self._list_runs)
        self.route("GET", REPO + r"/actions/runs/(?P<run>\d+)", self._get_run)
        self.route(
            "GET",
            REPO + r"/actions/runs/(?P<run>\d+)/pending_deployments",
            self._pending,
        )
        self.route(
            "POST",
            REPO + r"/actions/runs/(?P<run>\d+)/deployment_protection_rule",
            self._review,
        )
        self.route(
            "GET",
            REPO + r"/compare/(?P<base>[^/.]+)\.\.\.(?P<head>[^/.]+)",
            self._compare,
        )
        self.route("GET", REPO + r"/commits/(?P<ref>[^/]+)", self._get_commit)

    # Test-facing set-up and read-back

    def reset(self) -> None:
        """Forget installations, tokens, runs and calls (the app and its key stay)."""
        with self.lock:
            self.installations: dict[int, Installation] = {}
            self.tokens: dict[str, IssuedToken] = {}
            self.runs: dict[int, WorkflowRun] = {}
            self.histories: dict[str, list[tuple[str, float]]] = {}
            self.token_lifetime = 3600
            self.calls.clear()

    @property
    def private_key_pem(self) -> str:
        return self.app_key.private_pem

    def add_installation(
        self,
        installation_id: int = 31337,
        *,
        account: str = "octo-org",
        repositories: tuple[str, ...] = ("octo-org/shop",),
        permissions: dict[str, str] | None = None,
    ) -> Installation:
        installation = Installation(
            installation_id,
            account,
            list(repositories),
            permissions
            or {
                "actions": "read",
                "contents": "read",
                "deployments": "write",
                "metadata": "read",
            },
        )
        with self.lock:
            self.installations[installation_id] = installation
        return installation

    def add_waiting_run(
        self,
        repository: str = "octo-org/shop",
        *,
        environment: str | list[str] = "production",
        sha: str | None = None,
        head_branch: str = "main",
        event: str = "push",
        run_id: int | None = None,
        name: str = "Deploy",
    ) -> WorkflowRun:
        """A run waiting on the app's rule for one environment (or several)."""
        run = WorkflowRun(
            id=run_id or next(_ids),
            repository=repository,
            environments=[environment] if isinstance(environment, str) else environment,
            head_sha=sha or secrets.token_hex(20),
            head_branch=head_branch,
            event=event,
            name=name,
            run_number=len(self.runs) + 1,
            created_at=time.time(),
        )
        with self.lock:
            self.runs[run.id] = run
        return run

    def add_commits(
        self, repository: str, commits: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """Append commits ((sha, committed at, epoch seconds), oldest first) to
        the repository's one line of history."""
        with self.lock:
            history = self.histories.setdefault(repository, [])
            history.extend(commits)
            return list(history)

    def callback_url(self, repository: str, run_id: int) -> str:
        """The deployment_callback_url GitHub puts in the webhook for a run."""
        runs = f"{self.url}/repos/{repository}/actions/runs"
        return f"{runs}/{run_id}/deployment_protection_rule"

    def reviews(self, run_id: int | None = None) -> list[Call]:
        """Every POST to a run's callback URL, refused ones included."""
        run = str(run_id) if run_id is not None else r"\d+"
        return self.calls_to(
            "POST", rf"/repos/[^/]+/[^/]+/actions/runs/{run}/deployment_protection_rule"
        )

    def decisions(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Accepted approvals and rejections ({environment_name, state, comment})."""
        return [
            c.json
            for c in self.reviews(run_id)
            if c.status == 204 and "state" in c.json
        ]

    def status_reports(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Accepted status comments without a state."""
        return [
            c.json
            for c in self.reviews(run_id)
            if c.status == 204 and "state" not in c.json
        ]

    def wait_for_decision(self, run_id: int, *, timeout: float = 5.0) -> dict[str, Any]:
        return self.wait_until(
            lambda: self.decisions(run_id),
            timeout=timeout,
            what=f"a decision on run {run_id}",
        )[0]

    def tokens_issued(self) -> int:
        return len(self.calls_to("POST", r"/app/installations/\d+/access_tokens"))

    def app_jwt(
        self,
        *,
        issued: float | None = None,
        lifetime: int = 540,
        iss: int | str | None = None,
        key: RsaKey | None = None,
        algorithm: str = "RS256",
    ) -> str:
        """An app JWT as GitHub documents it; arguments bend it for refusal tests."""
        now = int(issued if issued is not None else time.time() - 60)
        # PyJWT wants a string iss; GitHub takes the app id as a number or a string.
        issuer = str(iss if iss is not None else self.app_id)
        claims = {"iat": now, "exp": now + lifetime, "iss": issuer}
        if algorithm == "HS256":
            return jwt.encode(
                claims, "not-an-rsa-key-but-long-enough-for-hs256", algorithm="HS256"
            )
        return jwt.encode(
            claims, (key or self.app_key).private_pem, algorithm=algorithm
        )

    # Routes

    def _access_token(self, request: Request) -> Reply:
        refusal = self._refuse_app_jwt(request.headers.get("authorization", ""))
        if refusal:
            return Reply(
                401, {"message": refusal, "documentation_url": DOCS, "status": "401"}
            )
        installation = self.installations.get(int(request.params["installation"]))
        if installation is None:
            return _not_found()
        wanted = request.json() or {}
        repositories = list(installation.repositories)
        if wanted.get("repositories"):
            names = [
                f"{installation.account}/{name}" for name in wanted["repositories"]
            ]
            if not set(names) <= set(installation.repositories):
                return _unprocessable(
                    "There is at least one repository that does not exist or is not "
                    "accessible to the parent installation."
                )
            repositories = names
        permissions = wanted.get("permissions") or installation.permissions
        if any(
            installation.permissions.get(name) not in (level, "write")
            for name, level in permissions.items()
        ):
            return _unprocessable(
                "The permissions requested are not granted to this installation."
            )
        token = (
            "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
        )
        expires_at = time.time() + self.token_lifetime
        with self.lock:
            self.tokens[token] = IssuedToken(
                token, installation.id, repositories, expires_at
            )
        body: dict[str, Any] = {
            "token": token,
            "expires_at": iso(expires_at),
            "permissions": permissions,
            "repository_selection": "selected",
        }
        if wanted.get("repositories") or wanted.get("repository_ids"):
            body["repositories"] = [repository(name) for name in repositories]
        return Reply(201, body)

    def _refuse_app_jwt(self, authorization: str) -> str | None:
        """Why GitHub would refuse this app JWT, or None when it is good."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return "A JSON web token could not be decoded"
        try:
            if jwt.get_unverified_header(token).get("alg") != "RS256":
                return "A JSON web token could not be decoded"
            claims = jwt.decode(
                token,
                self.app_key.public_pem,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["iat", "exp", "iss"],
                },
            )
        except jwt.PyJWTError:
            return "A JSON web token could not be decoded"
        now = time.time()
        if str(claims["iss"]) != str(self.app_id):
            return "'Issuer' claim ('iss') is not the ID of this GitHub App"
        if claims["iat"] > now + 60:
            return "'Issued at' claim ('iat') must be a time in the past"
        if claims["exp"] <= now:
            return "'Expiration time' claim ('exp') must be a time in the future"
        if (
            claims["exp"] > now + MAX_JWT_LIFETIME
            or claims["exp"] - claims["iat"] > MAX_JWT_LIFETIME
        ):
            return "'Expiration time' claim ('exp') is too far in the future"
        return None

    def _installation_token(self, request: Request) -> IssuedToken | Reply:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = (
            self.tokens.get(value) if scheme.lower() in ("bearer", "token") else None
        )
        if token is None or token.expires_at <= time.time():
            return Reply(
                401,
                {
                    "message": "Bad credentials",
                    "documentation_url": DOCS,
                    "status": "401",
                },
            )
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        if full_name not in token.repositories:
            return _not_found()
        return token

    def _run_for(self, request: Request) -> WorkflowRun | Reply:
        token = self._installation_token(request)
        if isinstance(token, Reply):
            return token
        run = self.runs.get(int(request.params["run"]))
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        if run is None or run.repository != full_name:
            return _not_found()
        return run

    def _list_runs(self, request: Request) -> Reply:
        token = self._installation_token(request)
        if isinstance(token, Reply):
            return token
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        status = request.arg("status")
        with self.lock:
            runs = [
                run
                for run in sorted(self.runs.values(), key=lambda run: -run.created_at)
                if run.repository == full_name
                and status in (None, run.status, run.conclusion)
            ]
        per_page = min(int(request.arg("per_page", "30")), 100)
        page = int(request.arg("page", "1"))
        chunk = runs[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(runs):
            query = f"per_page={per_page}&page={page + 1}" + (
                f"&status={status}" if status else ""
            )
            headers["Link"] = (
                f'<{self.url}/repos/{full_name}/actions/runs?{query}>; rel="next"'
            )
        body = {
            "total_count": len(runs),
            "workflow_runs": [self._run_json(run) for run in chunk],
        }
        return Reply(200, body, headers)

    def _get_run(self, request: Request) -> Reply:
        run = self._run_for(request)
        return run if isinstance(run, Reply) else Reply(200, self._run_json(run))

    def _pending(self, request: Request) -> Reply:
        run = self._run_for(request)
        if isinstance(run, Reply):
            return run
        body = [
            {
                "environment": {
                    "id": stable_id(run.repository, name),
                    "node_id": "EN_" + secrets.token_hex(6),
                    "name": name,
                    "url": f"{self.url}/repos/{run.repository}/environments/{name}",
                    "html_url": f"https://github.com/{run.repository}/deployments/activity_log?environments_filter={name}",
                },
                "wait_timer": 0,
                "wait_timer_started_at": None,
                "current_user_can_approve": False,
                "reviewers": [],
            }
            for name in run.pending
        ]
        return Reply(200, body)

    def _review(self, request: Request) -> Reply:
        run = self._run_for(request)
        if isinstance(run, Reply):
            return run
        body = request.json()
        if not isinstance(body, dict) or not isinstance(
            body.get("environment_name"), str
        ):
            return _unprocessable(
                'Invalid request.\n\n"environment_name" wasn\'t supplied.'
            )
        state, comment = body.get("state"), body.get("comment")
        if state is None and not isinstance(comment, str):
            return _unprocessable(
                'Invalid request.\n\n"comment" is required without "state".'
            )
        if state is not None and state not in ("approved", "rejected"):
            return _unprocessable(
                f"Invalid request.\n\n{state!r} is not approved or rejected."
            )
        if comment is not None and (
            not isinstance(comment, str) or len(comment) > MAX_COMMENT
        ):
            return _unprocessable(
                f"comment is longer than the maximum of {MAX_COMMENT} characters."
            )
        name = body["environment_name"]
        with self.lock:
            if name not in run.pending:
                return _unprocessable(
                    f"No pending deployment protection rule for environment {name!r}."
                )
            if state is None:
                if run.status_reports.get(name, 0) >= MAX_STATUS_REPORTS:
                    return _unprocessable(
                        f"At most {MAX_STATUS_REPORTS} status reports per deployment."
                    )
                run.status_reports[name] = run.status_reports.get(name, 0) + 1
                return Reply(204)
            run.decisions[name] = state
            if state == "rejected":
                run.status, run.conclusion = "completed", "failure"
            elif not run.pending:
                run.status = "in_progress"
        return Reply(204)

    def _history(self, request: Request) -> list[tuple[str, float]] | Reply:
        token = self._installation_token(request)
        if isinstance(token, Reply):
            return token
        installation = self.installations.get(token.installation_id)
        if installation is None or "contents" not in installation.permissions:
            # An app without Contents: Read (docs.github.com "Permissions
            # required for GitHub Apps": compare and get-commit need it).
            return Reply(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": DOCS,
                    "status": "403",
                },
            )
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        with self.lock:
            return list(self.histories.get(full_name, []))

    @staticmethod
    def _find(history: list[tuple[str, float]], ref: str) -> int | None:
        """The position of the commit a full or abbreviated sha names."""
        found = [n for n, (sha, _) in enumerate(history) if sha.startswith(ref)]
        return found[0] if len(ref) >= 4 and len(found) == 1 else None

    def _compare(self, request: Request) -> Reply:
        history = self._history(request)
        if isinstance(history, Reply):
            return history
        base = self._find(history, request.params["base"])
        head = self._find(history, request.params["head"])
        if base is None or head is None:
            return _not_found()
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        ahead = history[base + 1 : head + 1] if head > base else []
        behind = max(0, base - head)
        status = "identical" if base == head else "ahead" if head > base else "behind"
        per_page = min(int(request.arg("per_page", "250")), 250)
        page = int(request.arg("page", "1"))
        chunk = ahead[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(ahead):
            spec = f"{request.params['base']}...{request.params['head']}"
            headers["Link"] = (
                f"<{self.url}/repos/{full_name}/compare/{spec}"
                f'?per_page={per_page}&page={page + 1}>; rel="next"'
            )
        html = f"https://github.com/{full_name}/compare/"
        spec = f"{request.params['base']}...{request.params['head']}"
        body = {
            "url": f"{self.url}/repos/{full_name}/compare/{spec}",
            "html_url": html + spec,
            "permalink_url": html + f"{history[base][0]}...{history[head][0]}",
            "diff_url": html + spec + ".diff",
            "patch_url": html + spec + ".patch",
            "base_commit": self._commit_json(full_name, history, base),
            "merge_base_commit": self._commit_json(full_name, history, min(base, head)),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind,
            "total_commits": len(ahead),
            "commits": [
                self._commit_json(full_name, history, history.index(entry))
                for entry in chunk
            ],
            "files": [],
        }
        return Reply(200, body, headers)

    def _get_commit(self, request: Request) -> Reply:
        history = self._history(request)
        if isinstance(history, Reply):
            return history
        position = self._find(history, request.params["ref"])
        if position is None:
            return _unprocessable(f"No commit found for SHA: {request.params['ref']}")
        full_name = f"{request.params['owner']}/{request.params['repo']}"
        body = self._commit_json(full_name, history, position)
        body["stats"] = {"total": 2, "additions": 1, "deletions": 1}
        body["files"] = []
        return Reply(200, body)

    def _commit_json(
        self, repository: str, history: list[tuple[str, float]], position: int
    ) -> dict[str, Any]:
        sha, committed = history[position]
        api = f"{self.url}/repos/{repository}"
        owner = repository.split("/")[0]
        person = {"name": "Octo Cat", "email": "octocat@example.com"}
        parents = history[position - 1 : position] if position else []
        return {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": "C_" + secrets.token_hex(6),
            "html_url": f"https://github.com/{repository}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                # Authored an hour before it was committed (a rebase, say):
                # the committer's date is the one a lead time runs from.
                "author": {**person, "date": iso(committed - 3600)},
                "committer": {**person, "date": iso(committed)},
                "message": f"Change {position + 1}",
                "tree": {"sha": secrets.token_hex(20), "url": f"{api}/git/trees/x"},
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": user(owner),
            "committer": user(owner),
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"https://github.com/{repository}/commit/{parent}",
                }
                for parent, _ in parents
            ],
        }

    def _run_json(self, run: WorkflowRun) -> dict[str, Any]:
        repo_api = f"{self.url}/repos/{run.repository}"
        api = f"{repo_api}/actions/runs/{run.id}"
        owner = run.repository.split("/")[0]
        return {
            "id": run.id,
            "name": run.name,
            "node_id": "WFR_" + secrets.token_hex(6),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": ".github/workflows/deploy.yml",
            "display_title": f"{run.name} {run.head_sha[:7]}",
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": stable_id(run.repository, "deploy.yml"),
            "url": api,
            "html_url": f"https://github.com/{run.repository}/actions/runs/{run.id}",
            "pull_requests": [],
            "created_at": iso(run.created_at),
            "updated_at": iso(run.created_at),
            "run_attempt": 1,
            "run_started_at": iso(run.created_at),
            "jobs_url": f"{api}/jobs",
            "logs_url": f"{api}/logs",
            "artifacts_url": f"{api}/artifacts",
            "cancel_url": f"{api}/cancel",
            "rerun_url": f"{api}/rerun",
            "workflow_url": f"{repo_api}/actions/workflows/deploy.yml",
            "actor": user(owner),
            "triggering_actor": user(owner),
            "head_commit": {
                "id": run.head_sha,
                "message": "Ship it",
                "timestamp": iso(run.created_at),
            },
            "repository": repository(run.repository),
            "head_repository": repository(run.repository),
        }


def _not_found() -> Reply:
    return Reply(
        404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
    )


def _unprocessable(message: str) -> Reply:
    return Reply(422, {"message": message, "documentation_url": DOCS, "status": "422"})
