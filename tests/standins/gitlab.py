"""A loopback stand-in for GitLab's REST API: deployment approvals and merge request
external status checks.

It speaks GitLab's real paths, headers and payloads on 127.0.0.1. Sources:

- `GET /api/v4/projects/:id/deployments?status=blocked` and `POST
  /api/v4/projects/:id/deployments/:deployment_id/approval` (status
  approved|rejected, comment, represented_as; answer {user, status, created_at,
  comment}): docs.gitlab.com/api/deployments/ ("List project deployments",
  "Approve or reject a blocked deployment"), with the response shapes of
  python-gitlab/python-gitlab tests/unit/objects/test_deployments.py, which
  copies them from those docs. `:id` is a number or the URL-encoded path
  (docs.gitlab.com/api/rest/#namespaced-paths); lists are paginated with
  X-Page/X-Per-Page/X-Total/X-Total-Pages/X-Next-Page and Link.
- `POST /api/v4/projects/:id/merge_requests/:merge_request_iid/status_check_responses`
  (sha = the MR's head sha, external_status_check_id, status passed|failed;
  409 when the sha is not the head): docs.gitlab.com/api/status_checks/ ("Set
  status of an external status check") and python-gitlab
  gitlab/v4/objects/status_checks.py.
- Authentication: PRIVATE-TOKEN header or "Authorization: Bearer" (project,
  group or personal access tokens): docs.gitlab.com/api/rest/authentication/.
  A bad token answers 401 {"message": "401 Unauthorized"}.

After an approval the stand-in moves a deployment from blocked to running; after
a rejection to failed (GitLab fails the job with deployment_rejected). The
webhooks and status check requests GitLab sends are built by
tests/standins/gitlab_webhooks.py.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.standins.loopback import Call, LoopbackStandIn, Reply, Request

PROJECT = r"/api/v4/projects/(?P<project>[^/]+)"
_ids = itertools.count(501)


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


@dataclass
class Project:
    id: int
    path_with_namespace: str

    @property
    def name(self) -> str:
        return self.path_with_namespace.rsplit("/", 1)[-1]


@dataclass
class Deployment:
    """A deployment to a protected environment, blocked until approved."""

    id: int
    iid: int
    project: Project
    environment: str
    sha: str
    ref: str
    job_id: int
    created_at: float
    status: str = "blocked"
    required_approvals: int = 1
    approvals: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MergeRequest:
    project: Project
    iid: int
    sha: str
    source_branch: str
    target_branch: str
    title: str
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class StatusCheck:
    """An external status check: where GitLab sends MR events, and its HMAC secret."""

    id: int
    project: Project
    name: str
    external_url: str
    shared_secret: str | None


class GitLabAPI(LoopbackStandIn):
    """GitLab's REST API v4 on 127.0.0.1 (see the module docstring).

    Point GITLAB_URL at `url`. Every request is recorded in `calls`; answers
    Shipshape sent are read back with `approvals()` and `status_check_responses()`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reset()
        self.route("GET", PROJECT + r"/deployments", self._list_deployments)
        self.route(
            "GET", PROJECT + r"/deployments/(?P<deployment>\d+)", self._get_deployment
        )
        self.route(
            "POST",
            PROJECT + r"/deployments/(?P<deployment>\d+)/approval",
            self._approve,
        )
        self.route(
            "POST",
            PROJECT + r"/merge_requests/(?P<iid>\d+)/status_check_responses",
            self._status_check_response,
        )

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, str] = {}
            self.projects: dict[int, Project] = {}
            self.deployments: dict[int, Deployment] = {}
            self.merge_requests: dict[tuple[int, int], MergeRequest] = {}
            self.status_checks: dict[int, StatusCheck] = {}
            self.calls.clear()

    # Test-facing set-up and read-back

    def add_token(
        self, token: str | None = None, *, username: str = "shipshape-bot"
    ) -> str:
        """Accept this access token (as a project/group access token's bot user)."""
        token = token or "glpat-" + secrets.token_urlsafe(15)
        with self.lock:
            self.tokens[token] = username
        return token

    def add_project(
        self, path_with_namespace: str = "acme/shop", *, project_id: int | None = None
    ) -> Project:
        project = Project(project_id or next(_ids), path_with_namespace)
        with self.lock:
            self.projects[project.id] = project
        return project

    def add_blocked_deployment(
        self,
        project: Project,
        *,
        environment: str = "production",
        sha: str | None = None,
        ref: str = "main",
        required_approvals: int = 1,
    ) -> Deployment:
        with self.lock:
            iid = 1 + sum(1 for d in self.deployments.values() if d.project is project)
            deployment = Deployment(
                id=next(_ids),
                iid=iid,
                project=project,
                environment=environment,
                sha=sha or secrets.token_hex(20),
                ref=ref,
                job_id=next(_ids),
                created_at=time.time(),
                required_approvals=required_approvals,
            )
            self.deployments[deployment.id] = deployment
        return deployment

    def add_merge_request(
        self,
        project: Project,
        *,
        iid: int = 1,
        sha: str | None = None,
        source_branch: str = "feature",
        target_branch: str = "main",
        title: str = "Ship the thing",
    ) -> MergeRequest:
        mr = MergeRequest(
            project,
            iid,
            sha or secrets.token_hex(20),
            source_branch,
            target_branch,
            title,
        )
        with self.lock:
            self.merge_requests[(project.id, iid)] = mr
        return mr

    def add_status_check(
        self,
        project: Project,
        *,
        external_url: str,
        name: str = "Shipshape readiness",
        shared_secret: str | None = None,
    ) -> StatusCheck:
        check = StatusCheck(next(_ids), project, name, external_url, shared_secret)
        with self.lock:
            self.status_checks[check.id] = check
        return check

    def approvals(self, deployment_id: int | None = None) -> list[Call]:
        """Every POST to an approval path, refused ones included."""
        target = str(deployment_id) if deployment_id is not None else r"\d+"
        return self.calls_to("POST", PROJECT + rf"/deployments/{target}/approval")

    def status_check_responses(self, iid: int | None = None) -> list[Call]:
        target = str(iid) if iid is not None else r"\d+"
        return self.calls_to(
            "POST", PROJECT + rf"/merge_requests/{target}/status_check_responses"
        )

    def wait_for_approval(
        self, deployment_id: int, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        accepted = self.wait_until(
            lambda: [c for c in self.approvals(deployment_id) if c.status == 201],
            timeout=timeout,
            what=f"an approval of deployment {deployment_id}",
        )
        return accepted[0].json

    # Routes

    def _user(self, request: Request) -> str | Reply:
        token = request.headers.get("private-token")
        if token is None:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            token = value if scheme.lower() == "bearer" else None
        username = self.tokens.get(token or "")
        return username if username else Reply(401, {"message": "401 Unauthorized"})

    def _project(self, request: Request) -> Project | Reply:
        key = unquote(request.params["project"])
        with self.lock:
            for project in self.projects.values():
                if key in (str(project.id), project.path_with_namespace):
                    return project
        return Reply(404, {"message": "404 Project Not Found"})

    def _authorised(self, request: Request) -> tuple[str, Project] | Reply:
        username = self._user(request)
        if isinstance(username, Reply):
            return username
        project = self._project(request)
        return project if isinstance(project, Reply) else (username, project)

    def _list_deployments(self, request: Request) -> Reply:
        found = self._authorised(request)
        if isinstance(found, Reply):
            return found
        _, project = found
        status, environment = request.arg("status"), request.arg("environment")
        if status and status not in (
            "created",
            "running",
            "success",
            "failed",
            "canceled",
            "skipped",
            "blocked",
        ):
            return Reply(400, {"error": "status does not have a valid value"})
        with self.lock:
            rows = [
                d
                for d in self.deployments.values()
                if d.project is project
                and status in (None, d.status)
                and environment in (None, d.environment)
            ]
        rows.sort(key=lambda d: d.id, reverse=request.arg("sort") == "desc")
        per_page = min(int(request.arg("per_page", "20")), 100)
        page = int(request.arg("page", "1"))
        pages = max(1, math.ceil(len(rows) / per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(rows)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        if page < pages:
            query = f"page={page + 1}&per_page={per_page}" + (
                f"&status={status}" if status else ""
            )
            headers["Link"] = (
                f"<{self.url}/api/v4/projects/{project.id}/deployments?{query}>;"
                ' rel="next"'
            )
        return Reply(200, [self._deployment_json(d) for d in chunk], headers)

    def _get_deployment(self, request: Request) -> Reply:
        found = self._authorised(request)
        if isinstance(found, Reply):
            return found
        deployment = self.deployments.get(int(request.params["deployment"]))
        if deployment is None or deployment.project is not found[1]:
            return Reply(404, {"message": "404 Not found"})
        return Reply(200, self._deployment_json(deployment))

    def _approve(self, request: Request) -> Reply:
        found = self._authorised(request)
        if isinstance(found, Reply):
            return found
        username, project = found
        deployment = self.deployments.get(int(request.params["deployment"]))
        if deployment is None or deployment.project is not project:
            return Reply(404, {"message": "404 Not found"})
        params = _params(request)
        status = params.get("status")
        if status not in ("approved", "rejected"):
            return Reply(400, {"error": "status does not have a valid value"})
        with self.lock:
            if deployment.status != "blocked":
                return Reply(
                    400, {"message": "This deployment is not waiting for approvals."}
                )
            approval = {
                "user": _user_json(username),
                "status": status,
                "created_at": iso(time.time()),
                "comment": params.get("comment"),
            }
            deployment.approvals.append(
                approval | {"represented_as": params.get("represented_as")}
            )
            if status == "rejected":
                deployment.status = "failed"
            elif (
                sum(a["status"] == "approved" for a in deployment.approvals)
                >= deployment.required_approvals
            ):
                deployment.status = "running"
        return Reply(201, approval)

    def _status_check_response(self, request: Request) -> Reply:
        found = self._authorised(request)
        if isinstance(found, Reply):
            return found
        _, project = found
        mr = self.merge_requests.get((project.id, int(request.params["iid"])))
        if mr is None:
            return Reply(404, {"message": "404 Not found"})
        params = _params(request)
        if not params.get("sha") or not params.get("external_status_check_id"):
            return Reply(
                400, {"error": "sha is missing, external_status_check_id is missing"}
            )
        check = self.status_checks.get(int(params["external_status_check_id"]))
        if check is None or check.project is not project:
            return Reply(404, {"message": "404 Not found"})
        if params.get("status", "passed") not in ("passed", "failed"):
            return Reply(400, {"error": "status does not have a valid value"})
        if params["sha"] != mr.sha:
            return Reply(
                409, {"message": "SHA does not match HEAD of source branch: " + mr.sha}
            )
        body = {
            "id": next(_ids),
            "merge_request": {
                "id": mr.id,
                "iid": mr.iid,
                "project_id": project.id,
                "title": mr.title,
                "state": "opened",
                "source_branch": mr.source_branch,
                "target_branch": mr.target_branch,
                "sha": mr.sha,
                "web_url": f"{self.url}/{project.path_with_namespace}"
                f"/-/merge_requests/{mr.iid}",
            },
            "external_status_check": {
                "id": check.id,
                "name": check.name,
                "project_id": project.id,
                "external_url": check.external_url,
                "hmac": check.shared_secret is not None,
                "protected_branches": [],
            },
        }
        return Reply(201, body)

    def _deployment_json(self, deployment: Deployment) -> dict[str, Any]:
        project = deployment.project
        web = f"{self.url}/{project.path_with_namespace}"
        approved = sum(a["status"] == "approved" for a in deployment.approvals)
        return {
            "id": deployment.id,
            "iid": deployment.iid,
            "ref": deployment.ref,
            "sha": deployment.sha,
            "created_at": iso(deployment.created_at),
            "updated_at": iso(deployment.created_at),
            "finished_at": None,
            "status": deployment.status,
            "user": _user_json("deployer"),
            "environment": {
                "id": number(project.path_with_namespace, deployment.environment),
                "name": deployment.environment,
                "external_url": f"https://{deployment.environment}.example.com",
                "tier": deployment.environment
                if deployment.environment in ("production", "staging")
                else "other",
                "state": "available",
            },
            "deployable": {
                "id": deployment.job_id,
                "status": "manual"
                if deployment.status == "blocked"
                else deployment.status,
                "stage": "deploy",
                "name": f"deploy-{deployment.environment}",
                "ref": deployment.ref,
                "tag": False,
                "web_url": f"{web}/-/jobs/{deployment.job_id}",
                "commit": {
                    "id": deployment.sha,
                    "short_id": deployment.sha[:8],
                    "title": "Ship it",
                },
                "pipeline": {
                    "id": deployment.job_id - 1,
                    "sha": deployment.sha,
                    "ref": deployment.ref,
                    "status": "running",
                },
            },
            "pending_approval_count": max(0, deployment.required_approvals - approved),
            "approvals": [
                {k: v for k, v in a.items() if k != "represented_as"}
                for a in deployment.approvals
            ],
        }


def _params(request: Request) -> dict[str, str]:
    """GitLab takes parameters as JSON, a form, or the query string."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = request.json() or {}
        return {key: str(value) for key, value in body.items() if value is not None}
    form = dict(parse_qsl(request.body.decode(errors="replace")))
    return {**{k: v[0] for k, v in request.query.items()}, **form}


def _user_json(username: str) -> dict[str, Any]:
    return {
        "id": number(username),
        "username": username,
        "name": username.replace("-", " ").title(),
        "state": "active",
        "avatar_url": f"https://www.gravatar.com/avatar/{hashlib.md5(username.encode()).hexdigest()}?s=80&d=identicon",  # noqa: S324
        "web_url": f"https://gitlab.example.com/{username}",
    }


def number(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:6], 16)
