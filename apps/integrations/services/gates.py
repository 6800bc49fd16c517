"""Gate requests: a GitHub run waiting on a release, and its answers.

A gate request is kept once per run and environment, and answered from the
release's verdict: a status comment while blockers change (at most
MAX_COMMENTS, one per COMMENT_INTERVAL), then one decision. Every committed
change of a release answers its waiting gates again
(apps.releases.writes.on_change).
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit import services as audit
from apps.checklists import selectors as checklist_selectors
from apps.core.links import absolute_url
from apps.integrations import github, tasks
from apps.integrations.models import GateRequest, GitHubMapping
from apps.readiness.readiness import compute_readiness
from apps.releases import services as release_services
from apps.releases.models import Release, ReleaseCommit

log = logging.getLogger(__name__)

MAX_COMMENTS = 10
# Status comments of one gate at most this often: a lead ticking twenty items
# would otherwise spend GitHub's ten comments in a minute. Beat posts the last
# state that was held back. Decisions are never held back.
COMMENT_INTERVAL = timedelta(seconds=30)
MAX_BLOCKERS_SHOWN = 5
SHA = re.compile(r"^[0-9a-f]{7,64}$")
TAG_REF = re.compile(r"^v?\d+(\.\d+)+([.+_-][A-Za-z0-9.+_-]*)?$")
ACTOR = "GitHub deployment protection rule"


def enqueue(task: Any, row_id: int) -> None:
    """Queue a task; a broker outage (or, without one, GitHub refusing an eager
    task) must not fail the change that asked: the row stays as it is and beat
    picks it up (github_gates_reconcile)."""
    try:
        task.delay(row_id)
    except Exception:
        log.exception("could not run %s for %s; beat will", task.name, row_id)


def _platform_answered(
    row: Any,
    *,
    state: str,
    actor_label: str,
    action: str,
    team_id: int,
    facts: dict[str, Any],
    at_field: str = "decided_at",
) -> None:
    """After a deploy platform was told `state`: keep it on the platform's row
    (its state and when) and in the audit trail, by the integration itself.
    The GitHub gate, the GitLab deployment approval and the GitLab status
    check all record their answer this way."""
    row.state = state
    setattr(row, at_field, timezone.now())
    row.save(update_fields=["state", at_field])
    audit.record(
        actor=None,
        actor_label=actor_label,
        action=action,
        target=row,
        team_id=team_id,
        release_id=row.release_id,
        after=facts,
    )


@dataclass(frozen=True)
class GateAsk:
    """What GitHub asks about one deployment: a run waiting on an environment."""

    repository: str
    environment_name: str
    run_id: int
    installation_id: int
    sha: str
    ref: str
    callback_url: str
    delivery_id: str = ""


def release_version(ref: str, sha: str) -> str:
    """The tag in `ref` when it names one, else the short sha."""
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
    if not tag and TAG_REF.match(ref):
        tag = ref
    if tag and release_services.VERSION.match(tag):
        return tag
    return sha[:7]


@transaction.atomic
def gate_request_open(ask: GateAsk) -> str:
    """Find the mapping, find or create the release, and keep the gate request
    once per run and environment; its answer follows after commit."""
    mapping = (
        GitHubMapping.objects.select_related("service", "environment", "created_by")
        .filter(
            repository__iexact=ask.repository, environment_name=ask.environment_name
        )
        .first()
    )
    if mapping is None:
        return f"No mapping for {ask.repository} {ask.environment_name}."
    if not SHA.match(ask.sha):
        return "Refused: the deployment's sha is not a commit id."
    existing = GateRequest.objects.filter(
        repository=mapping.repository,
        run_id=ask.run_id,
        environment_name=ask.environment_name,
    ).first()
    if existing is not None:
        return f"Seen already: gate request {existing.pk}."
    if mapping.installation_id != ask.installation_id:
        mapping.installation_id = ask.installation_id
        mapping.save(update_fields=["installation_id"])
    version = release_version(ask.ref, ask.sha)
    release = (
        Release.objects.filter(environment=mapping.environment, version=version)
        .exclude(status=Release.Status.CANCELLED)
        .first()
    )
    if release is None:
        template = checklist_selectors.template_default_for_team(mapping.team_id)
        if template is None:
            return (
                "Refused: the team has no default checklist to create a release from."
            )
        try:
            release = release_services.release_create(
                service=mapping.service,
                environment=mapping.environment,
                template=template,
                version=version,
                by=mapping.created_by,
                notes=(
                    f"Created for GitHub run {ask.run_id} of {mapping.repository} "
                    f"({ask.ref or 'no ref'} at {ask.sha[:7]})."
                ),
            )
        except (ValidationError, PermissionDenied) as error:
            return f"Refused: the release could not be created: {error}"[:300]
    gate = GateRequest.objects.create(
        release=release,
        mapping=mapping,
        repository=mapping.repository,
        environment_name=ask.environment_name,
        run_id=ask.run_id,
        installation_id=ask.installation_id,
        sha=ask.sha,
        ref=ask.ref,
        callback_url=ask.callback_url,
        delivery_id=ask.delivery_id,
    )
    label = f"{ACTOR} (delivery {ask.delivery_id or 'found by the reconciler'})"
    release_services.release_gate_request_set(
        release=release, gate_request=gate_request_facts(gate), actor_label=label
    )
    # The release's change answers it (on_change); a release already decided
    # (deployed, cancelled) gets its answer the same way. Its commits are
    # fetched apart, after commit: GitHub being slow must not hold the gate.
    transaction.on_commit(partial(enqueue, tasks.fill_release_commits, gate.pk))
    return f"Gate request {gate.pk} on release {release.pk}."


def _previous_sha(gate: GateRequest) -> str:
    """The sha of the environment's last deployed release before this one: the
    one its GitHub gate request named, else its newest commit; "" for none."""
    release = gate.release
    previous = (
        Release.objects.filter(
            environment_id=release.environment_id, deployed_at__isnull=False
        )
        .exclude(pk=release.pk)
        .order_by("-deployed_at", "-pk")
        .first()
    )
    if previous is None:
        return ""
    named = (
        GateRequest.objects.filter(release=previous, repository=gate.repository)
        .order_by("-created_at")
        .values_list("sha", flat=True)
        .first()
    )
    if named:
        return named
    newest = (
        ReleaseCommit.objects.filter(release=previous)
        .order_by("-committed_at", "-sha")
        .values_list("sha", flat=True)
        .first()
    )
    return newest or ""


def gate_request_commits_fill(*, gate_id: int) -> str:
    """Fill the gate's release's commits from GitHub, as the app installation:
    the commits after the previous deployed release's sha (compare API), else
    the deployed commit alone. A release with commits keeps them. Whatever
    happens is written to the gate request's `commits_outcome`; nothing here
    stops the gate from being answered."""
    gate = GateRequest.objects.select_related("release").filter(pk=gate_id).first()
    if gate is None:
        return "no such gate request"
    if ReleaseCommit.objects.filter(release_id=gate.release_id).exists():
        outcome = "Kept the commits the release carried already."
    else:
        base = _previous_sha(gate)
        try:
            found = github.commits(
                gate.repository, gate.installation_id, head=gate.sha, base=base
            )
            if not found and base:
                # Nothing after the base (a redeploy, or a rollback to an older
                # commit): the release carries the commit it deploys.
                base = ""
                found = github.commits(
                    gate.repository, gate.installation_id, head=gate.sha
                )
            release_services.release_commits_fill(
                release=gate.release,
                commits=found,
                actor_label=f"{ACTOR} (run {gate.run_id})",
            )
        except github.GitHubError as error:
            outcome = f"Commits not filled: {error}"
        except ValidationError as error:
            outcome = "Commits not filled: " + " ".join(error.messages)
        else:
            since = f" after {base[:7]}" if base else " (the deployed commit)"
            outcome = f"{len(found)} commits from GitHub{since}."
    if outcome.startswith("Commits not filled"):
        log.warning("gate request %s: %s", gate.pk, outcome)
    GateRequest.objects.filter(pk=gate.pk).update(commits_outcome=outcome[:300])
    return outcome


def gate_request_facts(gate: GateRequest) -> dict[str, Any]:
    """The gate request as the release page, its record and its audit show it."""
    return {
        "platform": "github",
        "repository": gate.repository,
        "environment_name": gate.environment_name,
        "sha": gate.sha,
        "ref": gate.ref,
        "run_id": gate.run_id,
        "installation_id": gate.installation_id,
        "callback_url": gate.callback_url,
        "delivery_id": gate.delivery_id,
        "state": gate.state,
    }


@dataclass(frozen=True)
class Answer:
    """What to tell GitHub: a decision (`state`) or a status comment (None)."""

    state: str | None
    comment: str


def gate_answer(release: Release) -> Answer:
    """The answer the release's verdict gives a waiting deployment."""
    link = absolute_url(release.get_absolute_url())
    name = f"{release.service.name} {release.version} → {release.environment.name}"
    if release.status == Release.Status.CANCELLED:
        return Answer("rejected", f"Shipshape: {name} was cancelled. {link}")
    if release.status == Release.Status.ROLLED_BACK:
        return Answer("rejected", f"Shipshape: {name} was rolled back. {link}")
    readiness = compute_readiness(release)
    rejected = [b for b in readiness.blockers if b.type == "signoff" and b.refused]
    if rejected:
        return Answer("rejected", f"Shipshape: {name}: {rejected[0].text}. {link}")
    if readiness.ready or release.status in (
        Release.Status.READY,
        Release.Status.DEPLOYED,
    ):
        return Answer(
            "approved", f"Shipshape: {name} is ready (score {readiness.score}). {link}"
        )
    freeze = readiness.freeze
    if freeze and not freeze.get("exception"):
        return Answer(
            None, f"Shipshape: {name} is frozen until {freeze['until']}. {link}"
        )
    shown = readiness.blockers[:MAX_BLOCKERS_SHOWN]
    more = len(readiness.blockers) - len(shown)
    lines = [
        f"**Shipshape: not ready**, score {readiness.score}/100: {name}",
        "",
        *(f"- {blocker.text[:150]}" for blocker in shown),
        *([f"- … and {more} more"] if more > 0 else []),
        "",
        f"[The release in Shipshape]({link})",
    ]
    return Answer(None, "\n".join(lines))


def gate_request_answer(*, gate_id: int) -> str:
    """Answer one waiting gate from its release's verdict: a decision once, or a
    status comment when what blocks it changed (at most MAX_COMMENTS, one per
    COMMENT_INTERVAL).

    The row stays locked while GitHub is told, so two workers never decide
    twice; a refused call leaves it waiting for the next change or beat.
    """
    with transaction.atomic():
        gate = (
            GateRequest.objects.select_for_update(of=("self",))
            .select_related("release__service", "release__environment")
            .filter(pk=gate_id)
            .first()
        )
        if gate is None or gate.state != GateRequest.State.WAITING:
            return "decided already"
        answer = gate_answer(gate.release)
        if answer.state is None:
            digest = hashlib.sha256(answer.comment.encode()).hexdigest()
            if digest == gate.last_comment or gate.comments_posted >= MAX_COMMENTS:
                return "unchanged"
            now = timezone.now()
            if gate.last_comment_at and now - gate.last_comment_at < COMMENT_INTERVAL:
                return "held back"
            github.review(
                gate.callback_url,
                gate.installation_id,
                environment_name=gate.environment_name,
                comment=answer.comment,
            )
            gate.comments_posted += 1
            gate.last_comment, gate.last_comment_at = digest, now
            gate.save(
                update_fields=["comments_posted", "last_comment", "last_comment_at"]
            )
            return "commented"
        github.review(
            gate.callback_url,
            gate.installation_id,
            environment_name=gate.environment_name,
            comment=answer.comment,
            state=answer.state,
        )
        _platform_answered(
            gate,
            state=answer.state,
            actor_label=ACTOR,
            action=f"gate_request.{answer.state}",
            team_id=gate.release.team_id,
            facts={
                "repository": gate.repository,
                "environment_name": gate.environment_name,
                "run_id": gate.run_id,
                "sha": gate.sha,
                "comment": answer.comment,
            },
        )
        return answer.state
