"""GitHub's webhook deliveries: verified, kept once per X-GitHub-Delivery,
worked on by a task; and beat's reconciler, for deliveries that never came."""

import hashlib
import hmac
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit import services as audit
from apps.integrations import github, tasks
from apps.integrations.models import GateRequest, GitHubMapping, WebhookDelivery
from apps.integrations.services.gates import (
    GateAsk,
    enqueue,
    gate_request_facts,
    gate_request_open,
)
from apps.releases import services as release_services

log = logging.getLogger(__name__)

# A stored delivery not worked on after this long lost its task.
STUCK_AFTER = timedelta(seconds=30)
SOURCE = "github"
# Deliveries deleted per transaction when pruning: short locks, small events.
PRUNE_BATCH = 1000


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
                partial(enqueue, tasks.process_github_delivery, delivery.pk)
            )
    return delivery, created


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
    # The installation token goes to this URL: only ever to the configured API.
    expected = f"{settings.GITHUB_API_URL}/repos/{request.repository}/actions/runs/"
    if not callback_url.startswith(expected):
        return "Refused: the callback URL is not the configured GitHub API's."
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
        enqueue(tasks.process_github_delivery, delivery_id)
    waiting = list(
        GateRequest.objects.filter(state=GateRequest.State.WAITING).values_list(
            "pk", flat=True
        )
    )
    for gate_id in waiting:
        enqueue(tasks.answer_gate_request, gate_id)
    return {"opened": opened, "answered": len(waiting), "stuck": len(stuck)}


def inbound_deliveries_prune(*, now=None, batch: int = PRUNE_BATCH) -> int:
    """Beat: delete the deliveries received more than INBOUND_WEBHOOK_RETENTION_DAYS
    ago (their payloads with them), oldest first, `batch` per transaction, each
    batch with an `integrations.deliveries_pruned` event; how many went.

    Nothing when the retention is 0 (keep them). A delivery is only a record of
    what a platform sent and a guard against working on it twice: GitHub offers
    redelivery for 3 days, far inside the default 30.
    """
    days = settings.INBOUND_WEBHOOK_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = WebhookDelivery.objects.filter(received_at__lt=cutoff)
    pruned = 0
    while True:
        with transaction.atomic():
            ids = list(
                old.order_by("received_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            deleted, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
            audit.record(
                actor=None,
                actor_label="system: retention",
                action="integrations.deliveries_pruned",
                target_type="integrations.webhookdelivery",
                target_id=ids[-1],
                after={
                    "deleted": deleted,
                    "received_before": cutoff,
                    "retention_days": days,
                },
            )
        pruned += deleted
        if len(ids) < batch:
            break
    if pruned:
        log.info("pruned %d inbound webhook deliveries", pruned)
    return pruned
