"""Managing webhooks, queueing deliveries to them, and delivering each attempt.

Events reach webhooks only through announcements.announce(), which calls
webhook_deliveries_queue() inside the announcing transaction: one pending
delivery row per webhook, with the sends enqueued after commit, so a
rolled-back change never announces itself. A failed attempt schedules the next
one with exponential backoff, up to WEBHOOK_MAX_ATTEMPTS.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts import permissions
from apps.accounts.models import Membership, Team
from apps.audit import services as audit
from apps.notifications import egress, events, secrets, tasks
from apps.notifications.models import EVENT_NAMES, Webhook, WebhookDelivery

log = logging.getLogger(__name__)

MAX_WEBHOOKS_PER_TEAM = 20
SIGNATURE_HEADER = "X-Shipshape-Signature"
DELIVERY_HEADER = "X-Shipshape-Delivery"
EVENT_HEADER = "X-Shipshape-Event"
Status = WebhookDelivery.Status


def require_manager(user: User, team: Team) -> None:
    """Leads and admins decide where a team's news goes; raise PermissionDenied."""
    if user.is_superuser:
        return
    if permissions.role_of(user, team) not in (
        Membership.Role.LEAD,
        Membership.Role.ADMIN,
    ):
        raise PermissionDenied(f"Only leads of {team} can manage its webhooks.")


def sign_standard(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature` per Standard Webhooks: v1, and the base64 HMAC-SHA256
    of "{webhook-id}.{webhook-timestamp}.{body}"."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secrets.standard_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: sha256= and the hex HMAC of the exact body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": "Choose at least one event."})
    unknown = [event for event in events if event not in EVENT_NAMES]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown events: {', '.join(map(str, unknown))}."}
        )
    return sorted(set(events))


def _name_and_url_errors(
    team: Team, name: str, url: str, *, webhook: Webhook | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    others = Webhook.objects.filter(team=team, name=name)
    if webhook is not None:
        others = others.exclude(pk=webhook.pk)
    if not name or len(name) > 100:
        errors["name"] = "Name the webhook in 1 to 100 characters."
    elif others.exists():
        errors["name"] = "Another webhook of the team has this name."
    reason = egress.check_url(url) if len(url) <= 500 else "URL is too long"
    if reason:
        errors["url"] = f"This URL cannot be used: {reason}."
    return errors


def _facts(webhook: Webhook) -> dict[str, Any]:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook.events,
        "slack": webhook.slack,
        "active": webhook.active,
    }


@transaction.atomic
def webhook_create(
    *,
    team: Team,
    name: str,
    url: str,
    events: list[str],
    by: User,
    slack: bool = False,
    secret: str = "",
) -> tuple[Webhook, str]:
    """Add a webhook; returns it and its secret (generated unless given), shown once.

    Refuses URLs the egress policy blocks, unknown events and short secrets.
    """
    require_manager(by, team)
    name, url = (name or "").strip(), (url or "").strip()
    errors = _name_and_url_errors(team, name, url, webhook=None)
    if secret and len(secret) < 16:
        errors["secret"] = "Use at least 16 characters, or leave it empty."  # noqa: S105
    if errors:
        raise ValidationError(errors)
    events = _clean_events(events)
    if Webhook.objects.filter(team=team).count() >= MAX_WEBHOOKS_PER_TEAM:
        raise ValidationError(f"A team may have at most {MAX_WEBHOOKS_PER_TEAM}.")
    secret = secret or secrets.generate()
    webhook = Webhook.objects.create(
        team=team,
        name=name,
        url=url,
        secret_encrypted=secrets.encrypt(secret),
        events=events,
        slack=slack,
        created_by=by,
    )
    audit.record(
        actor=by,
        action="webhook.created",
        target=webhook,
        team_id=team.pk,
        after={"name": name, "url": url, "events": events, "slack": slack},
    )
    return webhook, secret


@transaction.atomic
def webhook_update(
    *,
    webhook: Webhook,
    by: User,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    slack: bool | None = None,
    active: bool | None = None,
) -> Webhook:
    """Change a webhook's name, URL, events, body shape or pause it; leads only.

    What is left out (None) keeps its value; the secret stays. Refuses what
    webhook_create() refuses. A paused webhook gets no new deliveries, and its
    failed attempts are not retried.
    """
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    require_manager(by, webhook.team)
    before = _facts(webhook)
    name = webhook.name if name is None else name.strip()
    url = webhook.url if url is None else url.strip()
    errors = _name_and_url_errors(webhook.team, name, url, webhook=webhook)
    if errors:
        raise ValidationError(errors)
    webhook.name, webhook.url = name, url
    if events is not None:
        webhook.events = _clean_events(events)
    if slack is not None:
        webhook.slack = bool(slack)
    if active is not None:
        webhook.active = bool(active)
    webhook.save()
    changed_before, changed_after = audit.diff(before, _facts(webhook))
    audit.record(
        actor=by,
        action="webhook.changed",
        target=webhook,
        team_id=webhook.team_id,
        before=changed_before,
        after=changed_after,
    )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, by: User) -> None:
    """Remove a webhook and its delivery log."""
    require_manager(by, webhook.team)
    audit.record(
        actor=by,
        action="webhook.deleted",
        target=webhook,
        team_id=webhook.team_id,
        before=_facts(webhook),
    )
    webhook.delete()


@transaction.atomic
def webhook_delivery_resend(*, attempt: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a delivery that gave up once more, as a new attempt of the same
    delivery (same body, same X-Shipshape-Delivery and webhook-id); leads only.

    Refuses an attempt that did not give up, a delivery sent or being sent
    since, and a paused webhook.
    """
    webhook = attempt.webhook
    require_manager(by, webhook.team)
    if attempt.status != Status.GAVE_UP:
        raise ValidationError("Only a delivery that gave up can be sent again.")
    if not webhook.active:
        raise ValidationError("The webhook is paused: resume it first.")
    later = WebhookDelivery.objects.select_for_update().filter(
        webhook=webhook, delivery_id=attempt.delivery_id, id__gt=attempt.pk
    )
    if later.exists():
        raise ValidationError("This delivery was sent again already.")
    row = _next_attempt(attempt, 0)
    audit.record(
        actor=by,
        action="webhook_delivery.resent",
        target=webhook,
        team_id=webhook.team_id,
        after={
            "delivery_id": str(row.delivery_id),
            "event": row.event,
            "attempt": row.attempt,
        },
    )
    transaction.on_commit(partial(_enqueue, row.pk, 0))
    return row


def _text(event: str, data: dict[str, Any]) -> str:
    if not isinstance(data.get("release"), dict) and data.get("subject"):
        # Events about an environment or a team carry their own subject line.
        return f"[{event}] {data['subject']}"
    release = data.get("release") or {}
    what = f"{release.get('service', '')} {release.get('version', '')}".strip()
    where = release.get("environment", "")
    subject = f"{what} → {where}" if where else what
    details = {
        "release.ready": "is ready to deploy",
        "release.overridden": (
            f"was marked {data.get('status', '')} by {data.get('by', '')} "
            f"against {len(data.get('blockers') or [])} blocker(s): "
            f"{data.get('reason', '')}"
        ),
        "release.blocked": f"is blocked: {data.get('text', '')}",
        "release.deployed": "was deployed",
        "release.rolled_back": f"was rolled back: {data.get('reason', '')}",
        "signoff.recorded": (
            f"{data.get('role', '')}: {data.get('decision', '')} "
            f"by {data.get('by', '')}"
        ),
        "probe_run.finished": f"probe run finished: {data.get('status', '')}",
        "probe.failed": (
            f"probe {data.get('name', '')} failed: {data.get('summary', '')}"
        ),
    }
    return f"[{event}] {subject} {details.get(event, '')}".strip()


def webhooks_for(event: str, team_id: int | None) -> list[Webhook]:
    """The active webhooks subscribed to the event that its schema says hear it.

    The team's, every team's (an event of no team, such as the audit chain's
    head), or none.
    """
    audience = events.EVENTS[event].webhooks
    webhooks = Webhook.objects.filter(active=True)
    if audience == events.EVERY_TEAMS_WEBHOOKS:
        webhooks = webhooks.order_by("team_id", "name")
    elif audience == events.TEAM_WEBHOOKS and team_id is not None:
        webhooks = webhooks.filter(team_id=team_id)
    else:
        return []
    return [webhook for webhook in webhooks if event in webhook.events]


def webhook_deliveries_queue(
    *, event: str, webhooks: list[Webhook], data: dict[str, Any]
) -> list[int]:
    """Queue the event's payload for each webhook; returns the delivery row ids.

    Called by announcements.announce() inside the announcing transaction: the
    rows commit with the change, and the sends are enqueued only after commit.
    """
    if event not in EVENT_NAMES:
        raise ValueError(f"Unknown webhook event {event!r}.")
    rows = []
    now = timezone.now()
    for webhook in webhooks:
        row = WebhookDelivery(webhook=webhook, event=event, scheduled_for=now)
        if webhook.slack:
            payload: dict[str, Any] = {"text": _text(event, data)}
        else:
            payload = {
                "event": event,
                "delivery_id": str(row.delivery_id),
                "created_at": now,
                "team": webhook.team_id,
                "data": data,
            }
        row.body = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False)
        rows.append(row)
    created = WebhookDelivery.objects.bulk_create(rows)
    for row in created:
        transaction.on_commit(partial(_enqueue, row.pk, 0))
    return [row.pk for row in created]


def _enqueue(row_id: int, countdown: float) -> None:
    try:
        tasks.deliver_webhook.apply_async((row_id,), countdown=countdown)
    except Exception:
        # A broker outage must not fail the change that emitted the event; the
        # row stays pending and visible in the delivery log.
        log.exception("could not enqueue webhook delivery %s", row_id)


def backoff(attempt: int) -> float:
    """Seconds to wait after the given failed attempt: base, 2×base, 4×base…"""
    return settings.WEBHOOK_BACKOFF_SECONDS * (2 ** (attempt - 1))


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one attempt and log its outcome; schedule the next after a failure.

    Safe to redeliver: only a pending row is sent, and it is claimed first. A
    row claimed by a worker that died mid-send is claimed again once the claim
    is stale. Returns the row's final status.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOK_TIMEOUT * 4 + 60)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=Status.PENDING) | Q(status=Status.SENDING, claimed_at__lt=stale)
        )
        .update(status=Status.SENDING, claimed_at=now)
    )
    row = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if not claimed:
        return row.status
    webhook = row.webhook
    body = row.body.encode()
    try:
        secret = secrets.decrypt(webhook.secret_encrypted)
    except secrets.SecretUnavailable as error:
        outcome = egress.Outcome(None, str(error), 0.0)
    else:
        # webhook-id is the delivery's, the same on every retry (the spec's
        # idempotency key); the timestamp is this attempt's.
        msg_id, timestamp = f"msg_{row.delivery_id.hex}", int(time.time())
        headers = {
            SIGNATURE_HEADER: sign(secret, body),
            DELIVERY_HEADER: str(row.delivery_id),
            EVENT_HEADER: row.event,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard(secret, msg_id, timestamp, body),
        }
        outcome = egress.post(webhook.url, body, headers, settings.WEBHOOK_TIMEOUT)
    retry = (
        not outcome.ok
        and webhook.active
        and row.attempt < settings.WEBHOOK_MAX_ATTEMPTS
        and not outcome.error.startswith("blocked")
    )
    if outcome.ok:
        row.status = Status.SUCCEEDED
    else:
        row.status = Status.FAILED if retry else Status.GAVE_UP
    row.response_status = outcome.status_code
    row.error = outcome.error or (
        "" if outcome.ok else f"the receiver answered {outcome.status_code}"
    )
    row.duration_ms = outcome.duration_ms
    row.finished_at = timezone.now()
    row.save(
        update_fields=[
            "status",
            "response_status",
            "error",
            "duration_ms",
            "finished_at",
        ]
    )
    if retry:
        delay = backoff(row.attempt)
        following = _next_attempt(row, delay)
        _enqueue(following.pk, delay)
    return row.status


def _next_attempt(row: WebhookDelivery, delay: float) -> WebhookDelivery:
    """The delivery's next attempt, due in `delay` seconds: same body and ids."""
    return WebhookDelivery.objects.create(
        webhook=row.webhook,
        delivery_id=row.delivery_id,
        event=row.event,
        body=row.body,
        attempt=row.attempt + 1,
        scheduled_for=timezone.now() + timedelta(seconds=delay),
    )
