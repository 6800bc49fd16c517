"""GitLab deployment approvals: beat lists the blocked deployments of mapped
projects, keeps each once on its release, and approves or rejects it with the
mapping's access token once the release's verdict decides it; every committed
change of the release answers again within moments (releases.writes.on_change).
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.integrations import gitlab, tasks
from apps.integrations.models import GitLabDeployment, GitLabMapping
from apps.integrations.services.ci import mapped_release_open
from apps.integrations.services.gates import (
    SHA,
    _platform_answered,
    enqueue,
    gate_answer,
    release_version,
)
from apps.integrations.services.mappings import gitlab_token_decrypt
from apps.releases import services as release_services

log = logging.getLogger(__name__)
ACTOR = "GitLab deployment approvals"


def gitlab_deployment_facts(row: GitLabDeployment) -> dict[str, Any]:
    """The held deployment as the release page, its record and its audit show it."""
    return {
        "platform": "gitlab",
        "project": row.project_path,
        "environment_name": row.environment_name,
        "deployment_id": row.deployment_id,
        "ref": row.ref,
        "sha": row.sha,
    }


@transaction.atomic
def gitlab_deployment_open(
    *, mapping: GitLabMapping, deployment: gitlab.BlockedDeployment
) -> str:
    """Keep a blocked deployment once, on the release of its tag (else its short
    sha), creating the release when there is none; its answer follows."""
    seen = GitLabDeployment.objects.filter(
        project_path=mapping.project_path, deployment_id=deployment.id
    ).first()
    if seen is not None:
        return f"Seen already: GitLab deployment {seen.pk}."
    sha = deployment.sha.lower()
    if not SHA.match(sha):
        return "Refused: the deployment's sha is not a commit id."
    ref = f"refs/tags/{deployment.ref}" if deployment.tag else deployment.ref
    try:
        release, _ = mapped_release_open(
            mapping=mapping,
            version=release_version(ref, sha),
            notes=(
                f"Created for GitLab deployment {deployment.id} of "
                f"{mapping.project_path} ({deployment.ref or 'no ref'} at {sha[:7]})."
            ),
        )
    except (ValidationError, PermissionDenied) as error:
        return f"Refused: the release could not be created: {error}"[:300]
    row = GitLabDeployment.objects.create(
        release=release,
        mapping=mapping,
        project_path=mapping.project_path,
        environment_name=deployment.environment,
        deployment_id=deployment.id,
        sha=sha,
        ref=ref,
    )
    release_services.release_gate_request_set(
        release=release,
        gate_request=gitlab_deployment_facts(row),
        actor_label=f"{ACTOR} (deployment {deployment.id})",
    )
    return f"GitLab deployment {row.pk} on release {release.pk}."


def gitlab_project_token(project_path: str) -> str:
    """The access token of any mapping of the project (they share a project)."""
    for mapping in GitLabMapping.objects.filter(
        project_path__iexact=project_path
    ).exclude(access_token_encrypted=""):
        token = gitlab_token_decrypt(mapping)
        if token:
            return token
    return ""


def gitlab_deployment_answer(*, row_id: int) -> str:
    """Approve or reject one held deployment once its release's verdict decides
    it; nothing while it is undecided. The row stays locked while GitLab is
    told, so two workers never decide twice; a refused call leaves it waiting."""
    with transaction.atomic():
        row = (
            GitLabDeployment.objects.select_for_update(of=("self",))
            .select_related("release__service", "release__environment", "mapping")
            .filter(pk=row_id)
            .first()
        )
        if row is None or row.state != GitLabDeployment.State.WAITING:
            return "decided already"
        answer = gate_answer(row.release)
        if answer.state is None:
            return "waiting"
        token = gitlab_project_token(row.project_path)
        if not token:
            return "no access token"
        gitlab.approve(
            row.project_path,
            row.deployment_id,
            token,
            status=answer.state,
            comment=answer.comment,
            represented_as=row.mapping.represented_as if row.mapping else "",
        )
        _platform_answered(
            row,
            state=answer.state,
            actor_label=ACTOR,
            action=f"gitlab_deployment.{answer.state}",
            team_id=row.release.team_id,
            facts={
                "project_path": row.project_path,
                "environment_name": row.environment_name,
                "deployment_id": row.deployment_id,
                "sha": row.sha,
                "comment": answer.comment,
            },
        )
        return answer.state


def gitlab_deployments_poll() -> dict[str, int]:
    """Beat: list the blocked deployments of every mapped project with a token,
    keep the new ones, and answer every one still blocked (a freeze ending
    changes the verdict without a write to the release)."""
    projects: dict[str, list[GitLabMapping]] = {}
    mappings = GitLabMapping.objects.exclude(access_token_encrypted="").select_related(
        "service", "environment", "created_by"
    )
    for mapping in mappings:
        projects.setdefault(mapping.project_path.lower(), []).append(mapping)
    opened = answered = 0
    for project_mappings in projects.values():
        project_path = project_mappings[0].project_path
        token = gitlab_project_token(project_path)
        if not token:
            continue
        try:
            blocked = gitlab.blocked_deployments(project_path, token)
        except gitlab.GitLabError as error:
            log.warning("Listing %s: %s", project_path, error)
            continue
        by_name = {m.environment_name: m for m in project_mappings}
        for deployment in blocked:
            if deployment.environment in by_name:
                outcome = gitlab_deployment_open(
                    mapping=by_name[deployment.environment], deployment=deployment
                )
                opened += outcome.startswith("GitLab deployment")
        waiting = GitLabDeployment.objects.filter(
            project_path=project_path,
            deployment_id__in=[d.id for d in blocked],
            state=GitLabDeployment.State.WAITING,
        ).values_list("pk", flat=True)
        for row_id in waiting:
            enqueue(tasks.answer_gitlab_deployment, row_id)
            answered += 1
    return {"opened": opened, "answered": answered}
