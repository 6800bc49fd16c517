"""Writing audit events. Every service that changes state calls record()."""

import json
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from apps.audit import chain
from apps.audit.models import AuditEvent, AuditHead
from apps.core import context

SECRET_MARKERS = ("password", "secret", "token", "kubeconfig", "private_key")
REDACTED = "***"


def redact(values: dict[str, Any]) -> dict[str, Any]:
    """Replace the values of secret-looking keys, at any depth."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if any(marker in str(key).lower() for marker in SECRET_MARKERS):
            clean[key] = REDACTED if value not in (None, "") else value
        elif isinstance(value, dict):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(redact(values or {}), cls=DjangoJSONEncoder))


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Keep only the keys whose values changed."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@transaction.atomic
def record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    team_id: int | None = None,
    release_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked for the rest of the transaction, so concurrent writers
    append one after another and the chain never forks. If this fails, the
    caller's change rolls back with it: there is no change without its event.
    """
    user = actor if actor is not None and actor.is_authenticated else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    request = context.current()
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    values = {
        "seq": head.seq + 1,
        "created_at": timezone.now(),
        "actor_id": user.pk if user else None,
        "actor_label": actor_label or (user.get_username() if user else "system"),
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "team_id": team_id,
        "release_id": release_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "request_id": request.request_id,
        "ip": request.ip,
        "user_agent": request.user_agent,
    }
    digest = chain.event_hash(head.hash, values)
    event = AuditEvent.objects.create(prev_hash=head.hash, hash=digest, **values)
    head.seq, head.hash = event.seq, digest
    head.save(update_fields=["seq", "hash"])
    return event
