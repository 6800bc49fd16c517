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

    On PostgreSQL one statement locks the head, numbers, stamps and hashes the
    event (the hash of chain.canonical(), in SQL: chain.canonical_around),
    moves the head and inserts it: the head is held from that statement to the
    end of the transaction, not from a round trip before it.

    `send(queries, params)`, on PostgreSQL: that statement's named WITH queries
    are handed to it rather than run here, for a caller that runs them in a
    statement it sends anyway before its transaction ends
    (releases.writes.ReleaseChange.with_queries: the release's count); nothing
    is returned then.
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
    if connection.vendor == "postgresql":
        _head_made()
        params = _append_params(values)
        if send is not None:
            send(APPEND_QUERIES, params)
            return None
        with connection.cursor() as cursor:
            cursor.execute(APPEND_SQL, params)
            pk, seq, created_at, prev_hash, digest = cursor.fetchone()
        event = AuditEvent(
            pk=pk, seq=seq, created_at=created_at, prev_hash=prev_hash, hash=digest
        )
        for field, value in values.items():
            setattr(event, field, value)
        event._state.adding, event._state.db = False, connection.alias
        return event
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    values["seq"], values["created_at"] = head.seq + 1, timezone.now()
    digest = chain.event_hash(head.hash, values)
    event = AuditEvent.objects.create(prev_hash=head.hash, hash=digest, **values)
    AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=digest)
    return event


def _head_made() -> None:
    """Make the head row if it is missing, once per database connection.

    The append's statement cannot: a writer that waits there for another one
    making it reads as of its own start, and both would number their event 1.
    A separate statement waits for the other's commit and then sees its row
    (what get_or_create did). The row is made after every migrate too
    (AuditConfig); this covers a table emptied since (a test's flush).
    """
    made = connection.connection
    if getattr(connection, "_audit_head_made", None) is made:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_audithead (id, seq, hash) VALUES (1, 0, %s)"
            " ON CONFLICT (id) DO NOTHING",
            [chain.GENESIS],
        )
    connection._audit_head_made = made


# The append, on PostgreSQL, as named WITH queries: the head locked (or, when
# its row is missing, the chain's start), the event numbered one past it and
# stamped once the lock is held, its hash computed as chain.event_hash does
# (the canonical text around seq and created_at comes as parameters), the
# head moved and the event inserted. `|| seq` writes the bigint as json does.
APPEND_QUERIES = """
audit_locked AS (
    SELECT seq, hash FROM audit_audithead WHERE id = 1 FOR UPDATE
),
audit_next AS (
    SELECT COALESCE((SELECT seq FROM audit_locked), 0) + 1 AS seq,
           COALESCE((SELECT hash FROM audit_locked), %s) AS prev_hash
),
audit_new AS (
    SELECT n.seq, n.prev_hash, n.created_at,
           encode(sha256(convert_to(
               n.prev_hash || %s
               || to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
               || '+00:00' || %s || n.seq || %s,
               'UTF8')), 'hex') AS hash
    FROM (SELECT seq, prev_hash, clock_timestamp() AS created_at FROM audit_next) n
),
audit_moved AS (
    INSERT INTO audit_audithead (id, seq, hash) SELECT 1, seq, hash FROM audit_new
    ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
),
audit_added AS (
    INSERT INTO audit_auditevent (
        seq, created_at, actor_id, actor_label, action, target_type, target_id,
        team_id, release_id, before, after, request_id, ip, user_agent, prev_hash,
        hash
    )
    SELECT n.seq, n.created_at, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb,
           %s, %s::inet, %s, n.prev_hash, n.hash
    FROM audit_new n
    RETURNING id, seq, created_at, prev_hash, hash
)
"""
APPEND_SQL = (
    f"WITH {APPEND_QUERIES}"  # noqa: S608 (constants only)
    " SELECT id, seq, created_at, prev_hash, hash FROM audit_added"
)
# What chain.canonical() covers but the database decides.
_DECIDED = ("seq", "created_at")


def _append_params(values: dict[str, Any]) -> list:
    head, middle, tail = chain.canonical_around(values)
    return [
        chain.GENESIS,
        head,
        middle,
        tail,
        *(
            json.dumps(values[field]) if field in ("before", "after") else values[field]
            for field in chain.FIELDS
            if field not in _DECIDED
        ),
    ]


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
