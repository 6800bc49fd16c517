"""Writing audit events, and the chain's upkeep: verify, publish the head, prune.

Every service that changes state calls record().
"""

import ipaddress
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from apps.audit import appendonly, chain, verification
from apps.audit.models import AuditAnchor, AuditEvent, AuditHead, AuditVerification
from apps.core import context, events

logger = logging.getLogger("shipshape.audit")

HEAD_EVENT = "audit.head_published"
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
        elif isinstance(value, list):
            clean[key] = [redact(v) if isinstance(v, dict) else v for v in value]
        else:
            clean[key] = value
    return clean


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(redact(values or {}), cls=DjangoJSONEncoder))


def _address(ip: str | None) -> str | None:
    """The address as the database gives it back, so the hash survives a read."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Keep only the keys whose values changed."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# No savepoint: a failed append marks the caller's whole transaction for rollback,
# so a caller cannot catch the error and commit its change without the event.
@transaction.atomic(savepoint=False)
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
    send: Callable[[str, Sequence], None] | None = None,
) -> AuditEvent | None:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked for the rest of the transaction, so concurrent writers
    append one after another and the chain never forks. If this fails, the
    caller's change rolls back with it: there is no change without its event.

    `send(sql, params)`, on PostgreSQL: the two writes of the append (the head
    moved, the event inserted) are handed to it rather than run here, for a
    caller that runs them in a round trip it makes anyway before its
    transaction ends (releases.writes.ReleaseChange.write, with the release's
    count). The head is locked here all the same; nothing is returned then.
    """
    user = actor if actor is not None and actor.is_authenticated else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    request = context.current()
    values = {
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
        "ip": _address(request.ip),
        "user_agent": request.user_agent,
    }
    # Everything above runs before the lock; as little as possible runs under it.
    # A writer about a release holds the release row lock already
    # (apps.releases.writes); the head is the last lock of a transaction.
    head_seq, prev_hash = _lock_head()
    values["seq"], values["created_at"] = head_seq + 1, timezone.now()
    digest = chain.event_hash(prev_hash, values)
    if connection.vendor == "postgresql":
        if send is not None:
            send(HEAD_SQL, [values["seq"], digest])
            send(INSERT_SQL, _insert_params(values, prev_hash, digest))
            return None
        return _append_postgres(values, prev_hash, digest)
    event = AuditEvent.objects.create(prev_hash=prev_hash, hash=digest, **values)
    AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=digest)
    return event


def _lock_head() -> tuple[int, str]:
    """Lock the head row until the transaction ends; return its seq and hash."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq, hash FROM audit_audithead WHERE id = 1 FOR UPDATE"
            )
            row = cursor.fetchone()
        if row is not None:
            return row
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head.seq, head.hash


# One round trip under the lock: move the head and insert the event together.
HEAD_SQL = "UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1"
INSERT_SQL = """
INSERT INTO audit_auditevent (
    seq, created_at, actor_id, actor_label, action, target_type, target_id,
    team_id, release_id, before, after, request_id, ip, user_agent, prev_hash, hash
)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s::inet, %s,
        %s, %s)
"""
APPEND_SQL = f"WITH head AS ({HEAD_SQL}) {INSERT_SQL} RETURNING id"


def _insert_params(values: dict[str, Any], prev_hash: str, digest: str) -> list:
    return [
        *(
            json.dumps(values[field]) if field in ("before", "after") else values[field]
            for field in chain.FIELDS
        ),
        prev_hash,
        digest,
    ]


def _append_postgres(values: dict[str, Any], prev_hash: str, digest: str) -> AuditEvent:
    params = [values["seq"], digest, *_insert_params(values, prev_hash, digest)]
    with connection.cursor() as cursor:
        cursor.execute(APPEND_SQL, params)
        (pk,) = cursor.fetchone()
    event = AuditEvent(pk=pk, prev_hash=prev_hash, hash=digest, **values)
    event._state.adding, event._state.db = False, connection.alias
    return event


def audit_verify_scheduled() -> AuditVerification:
    """Walk the whole chain, keep the outcome, and raise the alarm when broken.

    The outcome is stored as a row and as an `audit.verified` event, so the chain
    itself shows when it was last proved intact.
    """
    report = verification.chain_verify()
    head = AuditHead.objects.filter(pk=1).first()
    with transaction.atomic():
        outcome = AuditVerification.objects.create(
            ok=report.ok,
            checked=report.checked,
            broken_seq=report.broken_seq,
            problem=report.problem,
            head_seq=head.seq if head else 0,
            head_hash=head.hash if head else "",
        )
        record(
            actor=None,
            actor_label="system: audit verification",
            action="audit.verified",
            target=outcome,
            after={
                "ok": report.ok,
                "checked": report.checked,
                "broken_seq": report.broken_seq,
                "problem": report.problem,
            },
        )
    if report.ok:
        logger.info("audit chain intact: %d events checked", report.checked)
    else:
        # Alerting rides on logs until notifications exist (issue 10).
        logger.error(
            "AUDIT CHAIN BROKEN at event #%s: %s", report.broken_seq, report.problem
        )
    return outcome


def audit_head_publish() -> dict[str, Any]:
    """Publish the chain head (latest seq and hash) outside the database.

    The head is logged and announced (apps.core.events; notifications sends it
    to every team's subscribed webhooks), where a later rewrite of the tail
    cannot reach it; `verify_audit --published SEQ:HASH` compares it back. The
    publication is recorded as an `audit.head_published` event.
    """
    head = (
        AuditEvent.objects.order_by("-seq").values("seq", "hash", "created_at").first()
    )
    payload = {
        "event": HEAD_EVENT,
        "seq": head["seq"] if head else 0,
        "hash": head["hash"] if head else chain.GENESIS,
        "event_time": chain.timestamp(head["created_at"]) if head else None,
        "published_at": chain.timestamp(timezone.now()),
    }
    logger.warning("audit chain head: seq=%s hash=%s", payload["seq"], payload["hash"])
    with transaction.atomic():
        # Every team's webhooks subscribed to the head hear it (apps.notifications).
        events.publish(
            HEAD_EVENT,
            team_id=None,
            **{key: payload[key] for key in ("seq", "hash", "event_time")},
        )
        record(
            actor=None,
            actor_label="system: head publication",
            action=HEAD_EVENT,
            target_type="audit.auditevent",
            target_id=payload["seq"],
            after={"seq": payload["seq"], "hash": payload["hash"]},
        )
    return payload


def audit_prune(*, now: datetime | None = None) -> AuditAnchor | None:
    """Delete events older than AUDIT_RETENTION_DAYS, keeping the chain verifiable.

    Refuses to run when retention is unset (keep forever). Only a contiguous run
    of old events from the start is removed. An anchor row keeps the last pruned
    seq and hash for verification to start from, and an `audit.pruned` event,
    written first, repeats both inside the chain.
    """
    days = getattr(settings, "AUDIT_RETENTION_DAYS", None)
    if not days:
        return None
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        # Lock the head first: no append can interleave with the prune.
        AuditHead.objects.select_for_update().get_or_create(pk=1)
        first_recent = (
            AuditEvent.objects.filter(created_at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        events = AuditEvent.objects.order_by("seq")
        if first_recent is not None:
            events = events.filter(seq__lt=first_recent)
        last = events.values("seq", "hash").last()
        if last is None:
            return None
        count = events.count()
        record(
            actor=None,
            actor_label="system: retention",
            action="audit.pruned",
            target_type="audit.auditevent",
            target_id=last["seq"],
            after={
                "through_seq": last["seq"],
                "through_hash": last["hash"],
                "pruned": count,
                "retention_days": days,
            },
        )
        anchor = AuditAnchor.objects.create(
            seq=last["seq"], hash=last["hash"], pruned=count, created_at=timezone.now()
        )
        with appendonly.maintenance():
            AuditEvent.objects.filter(seq__lte=last["seq"]).delete()
    logger.info("audit pruned through #%s (%d events)", last["seq"], count)
    return anchor
