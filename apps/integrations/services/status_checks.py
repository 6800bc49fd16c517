"""GitLab merge request external status checks: verified requests kept once per
head commit, answered `failed` at once while the release of that commit is not
ready (inside GitLab's two minutes) and `passed` when it turns ready."""

import hashlib
import hmac
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from apps.integrations import gitlab, tasks
from apps.integrations.models import GitLabMapping, GitLabStatusCheck
from apps.integrations.services.approvals import gitlab_project_token
from apps.integrations.services.gates import SHA, _platform_answered, enqueue
from apps.readiness.readiness import compute_readiness
from apps.releases.models import Release

log = logging.getLogger(__name__)
ACTOR = "GitLab external status check"


def gitlab_signature_valid(body: bytes, header: str) -> bool:
    """Whether X-Gitlab-Signature is the hex HMAC-SHA256 of the raw body with
    GITLAB_STATUS_CHECK_SECRET; constant time. No secret: never valid."""
    secret = settings.GITLAB_STATUS_CHECK_SECRET
    if not secret or not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip().lower())


def _release_for(environment_id: int, sha: str) -> Release | None:
    return (
        Release.objects.filter(environment_id=environment_id)
        .filter(Q(gate_request__sha=sha) | Q(version=sha[:7]))
        .exclude(status=Release.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )


def gitlab_status_check_receive(payload: dict[str, Any]) -> tuple[str, int | None]:
    """Keep a verified status check request once per head and check, and hand
    it to a task; (outcome, row id or None when nothing was kept)."""
    try:
        project_path = str(payload["project"]["path_with_namespace"])
        attributes = payload["object_attributes"]
        iid = int(attributes["iid"])
        sha = str(attributes["last_commit"]["id"]).lower()
        rule = payload["external_approval_rule"]
        check_id, check_name = int(rule["id"]), str(rule.get("name", ""))
    except (KeyError, TypeError, ValueError):
        return "Refused: not a status check request GitLab sends.", None
    if not SHA.match(sha):
        return "Refused: the merge request's head is not a commit id.", None
    mappings = list(
        GitLabMapping.objects.filter(project_path__iexact=project_path).order_by("pk")
    )
    if not mappings:
        return f"No mapping for {project_path}.", None
    # The check named like a mapped environment judges that one; else the first.
    mapping = next(
        (m for m in mappings if m.environment_name == check_name), mappings[0]
    )
    with transaction.atomic():
        row, created = GitLabStatusCheck.objects.get_or_create(
            project_path=mapping.project_path,
            merge_request_iid=iid,
            sha=sha,
            check_id=check_id,
            defaults={
                "mapping": mapping,
                "environment_id": mapping.environment_id,
                "release": _release_for(mapping.environment_id, sha),
            },
        )
        if created:
            transaction.on_commit(
                partial(enqueue, tasks.answer_gitlab_status_check, row.pk)
            )
    return ("Status check kept." if created else "Seen already."), row.pk


def gitlab_status_check_answer(*, row_id: int) -> str:
    """Post `failed` once while the commit's release is missing or not ready,
    and `passed` once when it is ready; the row stays locked while GitLab is
    told, so two workers never answer twice."""
    with transaction.atomic():
        row = (
            GitLabStatusCheck.objects.select_for_update(of=("self",))
            .filter(pk=row_id)
            .first()
        )
        if row is None or row.state == GitLabStatusCheck.State.PASSED:
            return "answered already"
        if row.release_id is None:
            row.release = _release_for(row.environment_id, row.sha)
            if row.release is not None:
                row.save(update_fields=["release"])
        ready = row.release is not None and (
            row.release.status in (Release.Status.READY, Release.Status.DEPLOYED)
            or compute_readiness(row.release).ready
        )
        status = "passed" if ready else "failed"
        if status == row.state:
            return "unchanged"
        token = gitlab_project_token(row.project_path)
        if not token:
            return "no access token"
        gitlab.status_check_response(
            row.project_path,
            row.merge_request_iid,
            token,
            sha=row.sha,
            check_id=row.check_id,
            status=status,
        )
        _platform_answered(
            row,
            state=status,
            actor_label=ACTOR,
            action=f"gitlab_status_check.{status}",
            team_id=row.environment.service.team_id,
            at_field="answered_at",
            facts={
                "project_path": row.project_path,
                "merge_request_iid": row.merge_request_iid,
                "sha": row.sha,
                "check_id": row.check_id,
                "release": row.release_id,
            },
        )
        return status


def gitlab_status_checks_reconcile() -> int:
    """Beat: answer every check not yet passed again (a freeze ending, a lost task)."""
    rows = GitLabStatusCheck.objects.exclude(
        state=GitLabStatusCheck.State.PASSED
    ).values_list("pk", flat=True)
    for row_id in rows:
        enqueue(tasks.answer_gitlab_status_check, row_id)
    return len(rows)
