"""Keyless CI: a job's verified OIDC claims, mapped to a service's environment and
release, and kept on the release as the gate request it made.

A GitLab `id_tokens` JWT names `project_path` and `environment` (the job's
`environment:`), a GitHub Actions token `repository` and `environment`; the
GitLab or GitHub mapping of that pair decides the service and environment. The
release is the environment's live one for the tag in the ref, else the short
sha (as for GitHub's protection rule).
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.checklists import selectors as checklist_selectors
from apps.integrations.models import GitHubMapping, GitLabMapping
from apps.integrations.services.gates import SHA, release_version
from apps.releases import services as release_services
from apps.releases.models import Release

GITLAB, GITHUB = "gitlab_ci", "github_actions"


class CallerRefused(Exception):
    """The claims name no mapped environment; the message is safe to show."""


@dataclass(frozen=True)
class CiCaller:
    """A CI job, as its verified ID token describes it (request.auth in the API)."""

    platform: str
    issuer: str
    subject: str
    project: str
    environment_name: str
    ref: str
    sha: str
    pipeline_id: str
    job_id: str
    mapping: GitLabMapping | GitHubMapping

    @property
    def version(self) -> str:
        return release_version(self.ref, self.sha)

    @property
    def label(self) -> str:
        """Who acted, for the audit trail: the job, never a person."""
        if self.platform == GITLAB:
            return f"GitLab CI job {self.job_id} of {self.project} (OIDC)"
        return f"GitHub Actions run {self.pipeline_id} of {self.project} (OIDC)"

    def facts(self) -> dict[str, Any]:
        """The claims kept on the release: its gate request, shown and audited."""
        return {
            "platform": self.platform,
            "project": self.project,
            "environment_name": self.environment_name,
            "ref": self.ref,
            "sha": self.sha,
            "pipeline_id": self.pipeline_id,
            "job_id": self.job_id,
            "issuer": self.issuer,
            "subject": self.subject,
        }


def _text(claims: dict[str, Any], name: str, limit: int = 255) -> str:
    value = claims.get(name)
    return str(value)[:limit] if isinstance(value, str | int) else ""


def ci_caller_from_claims(claims: dict[str, Any]) -> CiCaller:
    """The job and its mapping; refuses claims without a project and an
    environment, a sha that is no commit id, and a pair no lead mapped."""
    if claims.get("project_path"):
        platform, project = GITLAB, _text(claims, "project_path")
        # GitLab's `ref` is the bare branch or tag; `ref_path` says which.
        ref = _text(claims, "ref_path") or _text(claims, "ref")
        pipeline_id, job_id = _text(claims, "pipeline_id"), _text(claims, "job_id")
    elif claims.get("repository"):
        platform, project = GITHUB, _text(claims, "repository")
        ref = _text(claims, "ref")
        pipeline_id, job_id = _text(claims, "run_id"), ""
    else:
        raise CallerRefused("The token names no GitLab project or GitHub repository.")
    environment_name = _text(claims, "environment")
    if not environment_name:
        raise CallerRefused(
            "The job names no environment: give the deploying job an `environment:`."
        )
    sha = _text(claims, "sha", 64).lower()
    if not SHA.match(sha):
        raise CallerRefused("The token's sha is not a commit id.")
    model = GitLabMapping if platform == GITLAB else GitHubMapping
    field = "project_path" if platform == GITLAB else "repository"
    mapping = (
        model.objects.select_related("service", "environment", "created_by", "team")
        .filter(**{f"{field}__iexact": project, "environment_name": environment_name})
        .first()
    )
    if mapping is None:
        raise CallerRefused(
            f"No lead mapped {project} {environment_name} to a service's environment."
        )
    return CiCaller(
        platform=platform,
        issuer=_text(claims, "iss"),
        subject=_text(claims, "sub"),
        project=project,
        environment_name=environment_name,
        ref=ref,
        sha=sha,
        pipeline_id=pipeline_id,
        job_id=job_id,
        mapping=mapping,
    )


def ci_release_find(caller: CiCaller, *, version: str = "") -> Release | None:
    """The mapped environment's live release of the job's version (or `version`)."""
    return (
        Release.objects.select_related("service", "environment", "team", "override_by")
        .filter(
            environment=caller.mapping.environment, version=version or caller.version
        )
        .exclude(status=Release.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )


def mapped_release_open(
    *, mapping: GitLabMapping | GitHubMapping, version: str, notes: str
) -> tuple[Release, bool]:
    """The mapped environment's live release of `version`, or a new one from the
    team's default checklist in the name of the mapping's lead; (release, created).
    Refuses a team without a default checklist."""
    release = (
        Release.objects.filter(environment=mapping.environment, version=version)
        .exclude(status=Release.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    if release is not None:
        return release, False
    template = checklist_selectors.template_default_for_team(mapping.team_id)
    if template is None:
        raise ValidationError(
            "The team has no default checklist to create a release from."
        )
    try:
        release = release_services.release_create(
            service=mapping.service,
            environment=mapping.environment,
            template=template,
            version=version,
            by=mapping.created_by,
            notes=notes,
        )
    except PermissionDenied:
        raise PermissionDenied(
            "The lead who made the mapping may no longer create releases."
        ) from None
    return release, True


@transaction.atomic
def ci_release_open(
    *, caller: CiCaller, version: str = "", notes: str = ""
) -> tuple[Release, bool]:
    """Find or create the release the job deploys, and keep its claims on it;
    (release, created). Refuses a team without a default checklist."""
    release, created = mapped_release_open(
        mapping=caller.mapping,
        version=version or caller.version,
        notes=notes
        or f"Created by {caller.label} ({caller.ref or 'no ref'} at {caller.sha[:7]}).",
    )
    release = ci_claims_record(caller=caller, release=release)
    return release, created


def ci_claims_record(*, caller: CiCaller, release: Release) -> Release:
    """Keep the job's claims as the release's gate request, audited
    (`release.gate_requested`, by the job); the same job again writes nothing."""
    if release.gate_request == caller.facts():
        return release
    return release_services.release_gate_request_set(
        release=release, gate_request=caller.facts(), actor_label=caller.label
    )
