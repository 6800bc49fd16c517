"""GitHub deployment protection rules: mappings, deliveries, gate requests and
their answers.

A delivery is stored once per X-GitHub-Delivery and worked on by a task. A gate
request is kept once per run and environment, and answered from the release's
verdict: a status comment while blockers change (at most MAX_COMMENTS), then
one decision. Every committed change of a release answers its waiting gates
again (apps.releases.writes.on_change); beat re-judges the rest and finds runs
whose delivery never arrived.
"""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment, Service
from apps.checklists import selectors as checklist_selectors
from apps.core.links import absolute_url
from apps.integrations import github, tasks
from apps.integrations.models import GateRequest, GitHubMapping, WebhookDelivery
from apps.readiness.readiness import compute_readiness
from apps.releases import services as release_services
from apps.releases.models import Release

log = logging.getLogger(__name__)

MAX_COMMENTS = 10
# Status comments of one gate at most this often: a lead ticking twenty items
# would otherwise spend GitHub's ten comments in a minute. Beat posts the last
# state that was held back. Decisions are never held back.
COMMENT_INTERVAL = timedelta(seconds=30)
# A stored delivery not worked on after this long lost its task.
STUCK_AFTER = timedelta(seconds=30)
MAX_BLOCKERS_SHOWN = 5
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,39}/[A-Za-z0-9_.-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{7,64}$")
TAG_REF = re.compile(r"^v?\d+(\.\d+)+([.+_-][A-Za-z0-9.+_-]*)?$")
MAPPING_FIELDS = ("repository", "environment_name", "service", "environment")
SOURCE = "github"
ACTOR = "GitHub deployment protection rule"


# Mappings


@transaction.atomic
def github_mapping_create(
    *,
    repository: str,
    environment_name: str,
    service: Service,
    environment: Environment,
    by: User,
    installation_id: int | None = None,
) -> GitHubMapping:
    """Map a repository's GitHub environment to a service's environment; leads.

    Refuses a repository name that is not owner/name, an environment of another
    service, and a repository environment mapped already.
    """
    permissions.require(by, "manage_catalog", service.team)
    repository = (repository or "").strip()
    environment_name = (environment_name or "").strip()
    errors = {}
    if not REPOSITORY.match(repository):
        errors["repository"] = "Give the repository as owner/name, e.g. acme/shop."
    if not environment_name or len(environment_name) > 255:
        errors["environment_name"] = "Name the GitHub environment, e.g. production."
    if environment.service_id != service.pk:
        errors["environment"] = (
            f"{environment.name} is not an environment of {service}."
        )
    if errors:
        raise ValidationError(errors)
    taken = GitHubMapping.objects.filter(
        repository__iexact=repository, environment_name=environment_name
    )
    if taken.exists():
        raise ValidationError(
            {"environment_name": f"{repository} {environment_name} is mapped already."}
        )
    try:
        with transaction.atomic():
            mapping = GitHubMapping.objects.create(
                team=service.team,
                repository=repository,
                environment_name=environment_name,
                service=service,
                environment=environment,
                installation_id=installation_id,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError(
            {"environment_name": f"{repository} {environment_name} is mapped already."}
        ) from None
    audit.record(
        actor=by,
        action="github_mapping.created",
        target=mapping,
        team_id=mapping.team_id,
        after=_mapping_facts(mapping),
    )
    return mapping


def _mapping_facts(mapping: GitHubMapping) -> dict[str, Any]:
    return {
        "repository": mapping.repository,
        "environment_name": mapping.environment_name,
        "service": mapping.service.name,
        "environment": mapping.environment.name,
        "installation_id": mapping.installation_id,
    }


@transaction.atomic
def github_mapping_delete(*, mapping: GitHubMapping, by: User) -> None:
    """Remove a mapping; leads. Its gate requests stay, answered as before."""
    permissions.require(by, "manage_catalog", mapping.team)
    audit.record(
        actor=by,
        action="github_mapping.deleted",
        target=mapping,
        team_id=mapping.team_id,
        before=_mapping_facts(mapping),
    )
    mapping.delete()


# Deliveries


def github_signature_valid(body: bytes, header: str) -> bool:
    """Whether X-Hub-Signature-256 is the HMAC of the raw body with the webhook
    secret; compared in constant time. No secret configured: never valid."""
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def github_delivery_receive(
    *, delivery_id: str, event: str, payload: dict
) -> tuple[WebhookDelivery, bool]:
    """Keep a verified delivery once and hand it to a task; (delivery, new).

    A redelivery (the same X-GitHub-Delivery) is the stored row, not new work.
    """
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            source=SOURCE,
            delivery_id=delivery_id[:100],
            defaults={"event": event[:60], "payload": payload},
        )
        if created:
            transaction.on_commit(
                partial(_enqueue, tasks.process_github_delivery, delivery.pk)
            )
    return delivery, created


def _enqueue(task: Any, row_id: int) -> None:
    """Queue a task; a broker outage (or, without one, GitHub refusing an eager
    task) must not fail the change that asked: the row stays as it is and beat
    picks it up (github_gates_reconcile)."""
    try:
        task.delay(row_id)
    except Exception:
        log.exception("could not run %s for %s; beat will", task.name, row_id)


def github_delivery_process(*, delivery_id: int) -> str:
    """Work on one stored delivery; once, however often the task runs."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.processed_at:
            return delivery.outcome
        payload = delivery.payload
        event = f"{delivery.event}.{payload.get('action', '')}"
        if event == "deployment_protection_rule.requested":
            outcome = _requested(payload, delivery.delivery_id)
        elif event == "deployment_status.created":
            outcome = _deployment_status(payload, delivery.delivery_id)
        else:
            outcome = f"Ignored: Shipshape does not act on {event}."
        delivery.processed_at = timezone.now()
        delivery.outcome = outcome[:300]
        delivery.save(update_fields=["processed_at", "outcome"])
    return outcome


def _requested(payload: dict, delivery_id: str) -> str:
    try:
        callback_url = payload["deployment_callback_url"]
        deployment = payload["deployment"]
        request = GateAsk(
            repository=payload["repository"]["full_name"],
            environment_name=payload["environment"],
            run_id=int(callback_url.rstrip("/").split("/")[-2]),
            installation_id=int(payload["installation"]["id"]),
            sha=deployment["sha"],
            ref=deployment.get("ref") or "",
            callback_url=callback_url,
            delivery_id=delivery_id,
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return "Refused: not a deployment_protection_rule payload GitHub sends."
    return gate_request_open(request)


def _deployment_status(payload: dict, delivery_id: str) -> str:
    """Keep GitHub's report on a deployment it let through on the release's gate
    request: its state (success, failure, error, ...), when, and where."""
    try:
        status = payload["deployment_status"]
        deployment = payload["deployment"]
        repository = payload["repository"]["full_name"]
        run_id = (payload.get("workflow_run") or {}).get("id")
        environment_name = deployment["environment"]
        sha = deployment["sha"]
    except (KeyError, TypeError):
        return "Refused: not a deployment_status payload GitHub sends."
    gates = GateRequest.objects.select_related("release").filter(
        repository__iexact=repository, environment_name=environment_name
    )
    gate = (gates.filter(run_id=run_id) if run_id else gates.filter(sha=sha)).first()
    if gate is None:
        return f"No gate request for {repository} {environment_name} at {sha[:7]}."
    facts = {
        **(gate.release.gate_request or gate_request_facts(gate)),
        "deployment_status": str(status.get("state", ""))[:20],
        "deployment_status_at": str(status.get("created_at", ""))[:40],
        "environment_url": str(status.get("environment_url") or "")[:300],
        "log_url": str(status.get("log_url") or "")[:300],
    }
    release_services.release_gate_request_set(
        release=gate.release,
        gate_request=facts,
        actor_label=f"GitHub deployment status (delivery {delivery_id})",
        action="release.deployment_reported",
    )
    return f"Deployment {facts['deployment_status']} on release {gate.release_id}."


# Gate requests


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
    # (deployed, cancelled) gets its answer the same way.
    return f"Gate request {gate.pk} on release {release.pk}."


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


def gate_release_changed(release_id: int) -> None:
    """After a committed change of a release: answer its waiting gates again."""
    waiting = GateRequest.objects.filter(
        release_id=release_id, state=GateRequest.State.WAITING
    ).values_list("pk", flat=True)
    for gate_id in waiting:
        _enqueue(tasks.answer_gate_request, gate_id)


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
        gate.state, gate.decided_at = answer.state, timezone.now()
        gate.save(update_fields=["state", "decided_at"])
        audit.record(
            actor=None,
            actor_label=ACTOR,
            action=f"gate_request.{answer.state}",
            target=gate,
            team_id=gate.release.team_id,
            release_id=gate.release_id,
            after={
                "repository": gate.repository,
                "environment_name": gate.environment_name,
                "run_id": gate.run_id,
                "sha": gate.sha,
                "comment": answer.comment,
            },
        )
        return answer.state


def github_gates_reconcile() -> dict[str, int]:
    """Beat: open gate requests for waiting runs no delivery told of, and
    answer every waiting gate again (a freeze ending moves no release)."""
    opened = 0
    if github.configured():
        mappings = GitHubMapping.objects.exclude(installation_id=None)
        repositories = {(m.repository, m.installation_id) for m in mappings}
        mapped = {(m.repository.lower(), m.environment_name) for m in mappings}
        for repository, installation_id in sorted(repositories):
            try:
                runs = github.waiting_runs(repository, installation_id)
            except github.GitHubError as error:
                log.warning("Reconciling %s: %s", repository, error)
                continue
            for run in runs:
                for name in run.environments:
                    if (repository.lower(), name) not in mapped:
                        continue
                    outcome = gate_request_open(
                        GateAsk(
                            repository=repository,
                            environment_name=name,
                            run_id=run.id,
                            installation_id=installation_id,
                            sha=run.head_sha,
                            ref=run.head_branch,
                            callback_url=(
                                f"{settings.GITHUB_API_URL}/repos/{repository}"
                                f"/actions/runs/{run.id}/deployment_protection_rule"
                            ),
                        )
                    )
                    opened += outcome.startswith("Gate request")
    # Deliveries whose task was never queued (a broker outage at the time).
    stuck = WebhookDelivery.objects.filter(
        processed_at=None, received_at__lt=timezone.now() - STUCK_AFTER
    ).values_list("pk", flat=True)
    for delivery_id in stuck:
        _enqueue(tasks.process_github_delivery, delivery_id)
    waiting = list(
        GateRequest.objects.filter(state=GateRequest.State.WAITING).values_list(
            "pk", flat=True
        )
    )
    for gate_id in waiting:
        _enqueue(tasks.answer_gate_request, gate_id)
    return {"opened": opened, "answered": len(waiting), "stuck": len(stuck)}
