"""Managing webhooks, emitting events to them, and delivering each attempt.

Other apps announce through apps.core.events; subscribers.deliver() calls
emit() and its variants inside the announcing transaction. emit() writes one
pending delivery row per subscribed webhook and enqueues the sends after
commit, so a rolled-back change never announces itself. A failed attempt
schedules the next one with exponential backoff, up to WEBHOOK_MAX_ATTEMPTS.
"""

import hashlib
import hmac
import json
import logging
import uuid
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
from apps.core.links import absolute_url
from apps.notifications import egress, mail, secrets, tasks
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
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = "Name the webhook in 1 to 100 characters."
    elif Webhook.objects.filter(team=team, name=name).exists():
        errors["name"] = "Another webhook of the team has this name."
    reason = egress.check_url(url) if len(url) <= 500 else "URL is too long"
    if reason:
        errors["url"] = f"This URL cannot be used: {reason}."
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
def webhook_delete(*, webhook: Webhook, by: User) -> None:
    """Remove a webhook and its delivery log."""
    require_manager(by, webhook.team)
    audit.record(
        actor=by,
        action="webhook.deleted",
        target=webhook,
        team_id=webhook.team_id,
        before={
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "slack": webhook.slack,
            "active": webhook.active,
        },
    )
    webhook.delete()


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


def _subscribers(event: str, team_id: int) -> list[Webhook]:
    return [
        webhook
        for webhook in Webhook.objects.filter(team_id=team_id, active=True)
        if event in webhook.events
    ]


def emit(event: str, team: Team | int, data: dict[str, Any]) -> list[int]:
    """Queue the event for every active webhook of the team that wants it.

    Call it inside the service's transaction: the rows commit with the change,
    and the sends are enqueued only after commit. Returns the delivery row ids.
    """
    if event not in EVENT_NAMES:
        raise ValueError(f"Unknown webhook event {event!r}.")
    team_id = team if isinstance(team, int) else team.pk
    webhooks = _subscribers(event, team_id)
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
                "team": team_id,
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
        headers = {
            SIGNATURE_HEADER: sign(secret, body),
            DELIVERY_HEADER: str(row.delivery_id),
            EVENT_HEADER: row.event,
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
        following = WebhookDelivery.objects.create(
            webhook=webhook,
            delivery_id=row.delivery_id,
            event=row.event,
            body=row.body,
            attempt=row.attempt + 1,
            scheduled_for=timezone.now() + timedelta(seconds=delay),
        )
        _enqueue(following.pk, delay)
    return row.status


def release_facts(release: Any, **extra: Any) -> dict[str, Any]:
    """The part of an event body that says which release it is about."""
    return {
        "release": {
            "id": release.pk,
            "service": release.service.name,
            "environment": release.environment.name,
            "version": release.version,
            "status": release.status,
            "path": release.get_absolute_url(),
            "url": absolute_url(release.get_absolute_url()),
        },
        **extra,
    }


def emit_for_release(event: str, release: Any, **extra: Any) -> list[int]:
    """emit() with the release's facts, looked up only when a webhook wants them.

    A release becoming ready, overridden or blocked is also emailed to the team
    (mail.notify).
    """
    if event in RELEASE_EMAIL_EVENTS:
        _email_release_event(event, release, extra)
    if not _subscribers(event, release.team_id):
        return []
    return emit(event, release.team_id, release_facts(release, **extra))


RELEASE_EMAIL_EVENTS = ("release.ready", "release.overridden", "release.blocked")


def _email_release_event(event: str, release: Any, extra: dict[str, Any]) -> None:
    what = f"{release.service.name} {release.version} → {release.environment.name}"
    details = ""
    if event == "release.ready":
        subject = f"Ready to deploy: {what}"
    elif event == "release.overridden":
        blockers = extra.get("blockers") or []
        subject = (
            f"Override: {what} marked {extra.get('status', '')} by "
            f"{extra.get('by', '')} against {len(blockers)} blocker(s)"
        )
        details = f"Reason: {extra.get('reason', '')}\n\nBlockers overridden:\n"
        details += "".join(f"- {blocker['text']}\n" for blocker in blockers[:20])
        if len(blockers) > 20:
            details += f"… and {len(blockers) - 20} more\n"
        details += "\n"
        extra = {**extra, "blockers": len(blockers)}
    else:
        subject = f"Blocked: {what}: {extra.get('text', '')}"
    mail.notify(
        event=event,
        # Each call is one occurrence: a release can be blocked, freed and
        # blocked again, and each time is worth telling.
        key=f"{event}:{release.pk}:{uuid.uuid4().hex}",
        subject=subject,
        body=f"{subject}\n\n{details}".rstrip(),
        link=release.get_absolute_url(),
        team_id=release.team_id,
        data={"release": release.pk, **{k: str(v) for k, v in extra.items()}},
        webhooks=False,
    )


def emit_probe_run_finished(run: Any) -> list[int]:
    """Announce a finished probe run, and each failing probe of it (probe.failed).

    Call it inside the transaction that finishes the run.
    """
    release = run.release
    subscribed = {
        event
        for event in ("probe_run.finished", "probe.failed")
        if _subscribers(event, release.team_id)
    }
    if not subscribed:
        return []
    ids: list[int] = []
    if "probe_run.finished" in subscribed:
        counts = {
            field: getattr(run, field)
            for field in ("passed", "warned", "failed", "errored")
        }
        facts = release_facts(release, run=run.pk, status=run.status, **counts)
        ids += emit("probe_run.finished", release.team_id, facts)
    if "probe.failed" in subscribed:
        for result in run.results.filter(status__in=("fail", "error")).order_by("id"):
            facts = release_facts(
                release,
                run=run.pk,
                result=result.pk,
                name=result.name,
                kind=result.kind,
                status=result.status,
                summary=result.summary,
            )
            ids += emit("probe.failed", release.team_id, facts)
    return ids
