"""GitLab's inbound webhooks: authenticated by the classic X-Gitlab-Token or by a
Standard Webhooks signature, kept once per Idempotency-Key / webhook-id, and
worked on by a task (a Deployment Hook reports how a held deployment went)."""

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.integrations import tasks
from apps.integrations.models import GitLabDeployment, WebhookDelivery
from apps.integrations.services.approvals import gitlab_deployment_facts
from apps.integrations.services.gates import enqueue
from apps.releases import services as release_services

SOURCE = "gitlab"
# Standard Webhooks: a delivery more than this far from the clock is refused.
TOLERANCE_SECONDS = 300


def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def _standard_valid(headers: Mapping[str, str], body: bytes, now: float) -> bool:
    secret = settings.GITLAB_WEBHOOK_SIGNING_TOKEN
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (secret and msg_id and stamp.isdigit() and signatures):
        return False
    if abs(int(stamp) - now) > TOLERANCE_SECONDS:
        return False
    content = f"{msg_id}.{stamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), content, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return any(
        version == "v1" and hmac.compare_digest(expected, value)
        for version, _, value in (part.partition(",") for part in signatures.split())
    )


def gitlab_webhook_authentic(
    headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> bool:
    """Whether a delivery proves it comes from GitLab: every credential it
    presents that Shipshape has configured verifies, and at least one does.

    A Standard Webhooks signature (webhook-id, webhook-timestamp within five
    minutes, webhook-signature v1) under GITLAB_WEBHOOK_SIGNING_TOKEN; the
    classic X-Gitlab-Token equal to GITLAB_WEBHOOK_TOKEN (constant time).
    """
    now = time.time() if now is None else now
    results = []
    if settings.GITLAB_WEBHOOK_SIGNING_TOKEN and headers.get("webhook-signature"):
        results.append(_standard_valid(headers, body, now))
    token = settings.GITLAB_WEBHOOK_TOKEN
    if token and headers.get("X-Gitlab-Token") is not None:
        results.append(hmac.compare_digest(token, headers.get("X-Gitlab-Token", "")))
    return bool(results) and all(results)


def gitlab_delivery_receive(
    *, delivery_id: str, event: str, payload: dict
) -> tuple[WebhookDelivery, bool]:
    """Keep an authenticated delivery once and hand it to a task; (delivery, new)."""
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            source=SOURCE,
            delivery_id=delivery_id[:100],
            defaults={"event": event[:60], "payload": payload},
        )
        if created:
            transaction.on_commit(
                partial(enqueue, tasks.process_gitlab_delivery, delivery.pk)
            )
    return delivery, created


def gitlab_delivery_process(*, delivery_id: int) -> str:
    """Work on one stored GitLab delivery; once, however often the task runs."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.processed_at:
            return delivery.outcome
        if delivery.payload.get("object_kind") == "deployment":
            outcome = _deployment(delivery.payload, delivery.delivery_id)
        else:
            outcome = f"Ignored: Shipshape does not act on {delivery.event}."
        delivery.processed_at = timezone.now()
        delivery.outcome = outcome[:300]
        delivery.save(update_fields=["processed_at", "outcome"])
    return outcome


def _deployment(payload: dict, delivery_id: str) -> str:
    """Keep GitLab's report on a deployment it held on a release (its status:
    running, success, failed, canceled) on the release's gate request."""
    try:
        project_path = str(payload["project"]["path_with_namespace"])
        deployment_id = int(payload["deployment_id"])
        status = str(payload["status"])[:20]
        at = str(payload.get("status_changed_at", ""))[:40]
    except (KeyError, TypeError, ValueError):
        return "Refused: not a Deployment Hook payload GitLab sends."
    row = (
        GitLabDeployment.objects.select_related("release")
        .filter(project_path__iexact=project_path, deployment_id=deployment_id)
        .first()
    )
    if row is None:
        return f"No held deployment {deployment_id} of {project_path}."
    facts = {
        **gitlab_deployment_facts(row),
        "decision": row.state,
        "deployment_status": status,
        "deployment_status_at": at,
    }
    release_services.release_gate_request_set(
        release=row.release,
        gate_request=facts,
        actor_label=f"GitLab deployment event (delivery {delivery_id})",
        action="release.deployment_reported",
    )
    return f"Deployment {status} on release {row.release_id}."
