"""Loopback stand-ins for the CI OIDC issuers whose ID tokens Shipshape accepts
instead of a stored token: GitLab CI/CD `id_tokens` and GitHub Actions.

Each serves its discovery document and its JWKS on 127.0.0.1 and mints RS256
JWTs with the platform's documented claims. Keys rotate as real issuers rotate
them: a new key is published beside the old one, and the old one is dropped
later. Sources:

- GitLab: docs.gitlab.com/ci/secrets/id_token_authentication/ ("Token payload":
  iss, sub "project_path:{group}/{project}:ref_type:{type}:ref:{branch_name}",
  aud, exp, iat, nbf, jti, namespace_id, namespace_path, project_id,
  project_path, user_id, user_login, user_email, user_access_level,
  pipeline_id, pipeline_source, job_id, ref, ref_type, ref_path, ref_protected,
  environment, environment_protected, deployment_tier, environment_action,
  runner_id, runner_environment, sha, ci_config_ref_uri, ci_config_sha,
  project_visibility; ids and booleans are strings, runner_id a number) and the
  sample payload in gitlab-org/gitlab merge request 116867. GitLab publishes its
  keys at /oauth/discovery/keys, named by /.well-known/openid-configuration.
- GitHub Actions: docs.github.com/en/actions/reference/security/oidc ("OIDC
  token claims" and the example token: header typ/alg/x5t/kid; jti, sub
  "repo:{owner}/{repo}:environment:{name}" (or ":ref:{ref}" without an
  environment), environment, aud (default https://github.com/{owner}), ref, sha,
  repository, repository_owner, actor_id, repository_visibility, repository_id,
  repository_owner_id, run_id, run_number, run_attempt, runner_environment,
  actor, workflow, head_ref, base_ref, event_name, ref_type, job_workflow_ref,
  iss https://token.actions.githubusercontent.com, nbf = iat - 600,
  exp = iat + 300). GitHub publishes its keys at /.well-known/jwks.

In tests the issuer URL is the stand-in's own http://127.0.0.1:port (the `iss`
claim and the discovery document agree, as the OIDC discovery spec requires);
pass `ssl_context` for HTTPS.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

import jwt

from tests.standins.keys import RsaKey
from tests.standins.loopback import LoopbackStandIn, Reply, Request


class OidcIssuer(LoopbackStandIn):
    """An OpenID Connect issuer: discovery document, JWKS, and a token minter."""

    jwks_path = "/.well-known/jwks"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first_key = RsaKey.generate()
        self.reset()
        self.route("GET", r"/\.well-known/openid-configuration", self._discovery)
        self.route("GET", self.jwks_path.replace(".", r"\."), self._jwks)

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_uri(self) -> str:
        return self.url + self.jwks_path

    def reset(self) -> None:
        """Back to the one key of the session, and no calls recorded."""
        with self.lock:
            self.keys: list[RsaKey] = [self._first_key]
            self.calls.clear()

    @property
    def current_key(self) -> RsaKey:
        return self.keys[-1]

    def rotate(self) -> RsaKey:
        """Sign with a new key from now on; the JWKS publishes it beside the old."""
        key = RsaKey.generate()
        with self.lock:
            self.keys.append(key)
        return key

    def retire_old_keys(self) -> None:
        """Drop every key but the current one from the JWKS."""
        with self.lock:
            self.keys = [self.current_key]

    def jwks_fetches(self) -> int:
        return len(self.calls_to("GET", self.jwks_path.replace(".", r"\.")))

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: RsaKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """Sign claims as this issuer (an unpublished `key` makes a forgery)."""
        key = key or self.current_key
        return jwt.encode(
            claims,
            key.private_pem,
            algorithm="RS256",
            headers={"typ": "JWT", "kid": key.kid, **(headers or {})},
        )

    def discovery(self) -> dict[str, Any]:
        raise NotImplementedError

    def _discovery(self, request: Request) -> Reply:
        return Reply(200, self.discovery())

    def _jwks(self, request: Request) -> Reply:
        with self.lock:
            keys = [key.jwk() for key in self.keys]
        return Reply(200, {"keys": keys})


class GitLabIssuer(OidcIssuer):
    """A GitLab instance as an OIDC issuer of CI/CD `id_tokens`."""

    jwks_path = "/oauth/discovery/keys"

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "introspection_endpoint": f"{base}/oauth/introspect",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "jwks_uri": self.jwks_uri,
            "scopes_supported": [
                "api", "read_api", "read_user", "openid", "profile", "email",
            ],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": [
                "authorization_code", "password", "client_credentials", "refresh_token",
            ],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic", "client_secret_post",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claim_types_supported": ["normal"],
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "sub_legacy", "name", "nickname",
                "preferred_username", "email", "email_verified", "website", "profile",
                "picture", "groups", "groups_direct", "https://gitlab.org/claims/groups/owner",
            ],
        }  # fmt: skip

    def id_token(
        self,
        *,
        aud: str | list[str],
        project_path: str = "acme/shop",
        ref: str = "main",
        ref_type: str = "branch",
        sha: str | None = None,
        environment: str | None = None,
        deployment_tier: str | None = None,
        pipeline_id: int = 1234,
        job_id: int = 56789,
        user_login: str = "deployer",
        lifetime: int = 3600,
        issued: float | None = None,
        key: RsaKey | None = None,
        **overrides: Any,
    ) -> str:
        """A CI/CD job's ID token, with the claims GitLab documents."""
        now = int(issued if issued is not None else time.time())
        namespace_path = project_path.rsplit("/", 1)[0]
        ref_path = f"refs/{'heads' if ref_type == 'branch' else 'tags'}/{ref}"
        claims: dict[str, Any] = {
            "namespace_id": str(_number(namespace_path)),
            "namespace_path": namespace_path,
            "project_id": str(_number(project_path)),
            "project_path": project_path,
            "user_id": str(_number(user_login)),
            "user_login": user_login,
            "user_email": f"{user_login}@example.com",
            "user_access_level": "developer",
            "pipeline_id": str(pipeline_id),
            "pipeline_source": "push",
            "job_id": str(job_id),
            "ref": ref,
            "ref_type": ref_type,
            "ref_path": ref_path,
            "ref_protected": "true",
            "runner_id": 17,
            "runner_environment": "self-hosted",
            "sha": sha or secrets.token_hex(20),
            "project_visibility": "private",
            "ci_config_ref_uri": (
                f"gitlab.example.com/{project_path}//.gitlab-ci.yml@{ref_path}"
            ),
            "ci_config_sha": sha or secrets.token_hex(20),
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
            "sub": f"project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
            "aud": aud,
        }
        if environment:
            claims |= {
                "environment": environment,
                "environment_protected": "true",
                "deployment_tier": deployment_tier or _tier(environment),
                "environment_action": "start",
            }
        claims |= overrides
        return self.sign(claims, key=key)


class GitHubActionsIssuer(OidcIssuer):
    """GitHub Actions' OIDC provider (token.actions.githubusercontent.com)."""

    jwks_path = "/.well-known/jwks"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_uri,
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": [
                "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha",
                "repository", "repository_id", "repository_owner",
                "repository_owner_id",
                "enterprise", "enterprise_id", "run_id", "run_number", "run_attempt",
                "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha",
                "head_ref", "base_ref", "event_name", "ref_type", "ref_protected",
                "environment", "environment_node_id", "job_workflow_ref",
                "job_workflow_sha", "repository_visibility", "runner_environment",
                "issuer_scope",
            ],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
        }  # fmt: skip

    def id_token(
        self,
        *,
        aud: str | None = None,
        repository: str = "octo-org/shop",
        ref: str = "refs/heads/main",
        sha: str | None = None,
        environment: str | None = None,
        run_id: int = 987654321,
        run_number: int = 42,
        run_attempt: int = 1,
        workflow_file: str = "deploy.yml",
        event_name: str = "push",
        actor: str = "octocat",
        issued: float | None = None,
        key: RsaKey | None = None,
        **overrides: Any,
    ) -> str:
        """A workflow job's OIDC token, with the claims GitHub documents."""
        now = int(issued if issued is not None else time.time())
        owner = repository.split("/")[0]
        sha = sha or secrets.token_hex(20)
        workflow_ref = f"{repository}/.github/workflows/{workflow_file}@{ref}"
        subject = f"environment:{environment}" if environment else f"ref:{ref}"
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "sub": f"repo:{repository}:{subject}",
            "aud": aud or f"https://github.com/{owner}",
            "ref": ref,
            "sha": sha,
            "repository": repository,
            "repository_owner": owner,
            "actor_id": str(_number(actor)),
            "repository_visibility": "private",
            "repository_id": str(_number(repository)),
            "repository_owner_id": str(_number(owner)),
            "run_id": str(run_id),
            "run_number": str(run_number),
            "run_attempt": str(run_attempt),
            "runner_environment": "github-hosted",
            "actor": actor,
            "workflow": "Deploy",
            "head_ref": "",
            "base_ref": "",
            "event_name": event_name,
            "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
            "ref_protected": "true",
            "workflow_ref": workflow_ref,
            "workflow_sha": sha,
            "job_workflow_ref": workflow_ref,
            "job_workflow_sha": sha,
            "iss": self.issuer,
            "nbf": now - 600,
            "exp": now + 300,
            "iat": now,
        }
        if environment:
            claims["environment"] = environment
        claims |= overrides
        signing_key = key or self.current_key
        thumbprint = hashlib.sha1(signing_key.public_pem.encode()).hexdigest()[:27]  # noqa: S324
        return self.sign(claims, key=key, headers={"x5t": thumbprint})


def _number(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:6], 16)


def _tier(environment: str) -> str:
    for tier in ("production", "staging", "testing", "development"):
        if environment.startswith(tier[:4]):
            return tier
    return "other"
