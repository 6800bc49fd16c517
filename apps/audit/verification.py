"""Walking the stored chain: from the genesis, the prune anchor or a date."""

from dataclasses import replace
from datetime import UTC, date, datetime, time

from apps.audit import chain
from apps.audit.models import AuditAnchor, AuditEvent, AuditHead

CHUNK = 2000
CHAIN_FIELDS = (*chain.FIELDS, "prev_hash", "hash")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def chain_verify(
    *, since: date | None = None, published: tuple[int, str] | None = None
) -> chain.ChainReport:
    """Walk the stored chain in seq order and report the first broken event.

    Starts after the latest prune anchor, or at the first event of `since` (trusting
    that event's link to the one before). Beyond the walk it checks that the head
    row agrees with the last event (catching a removed tail), that the anchor is
    corroborated by its `audit.pruned` event, and, when given, that a published
    head (seq, hash) is still in the chain.
    """
    anchor = AuditAnchor.objects.order_by("-seq").first()
    prev_seq, prev_hash = (anchor.seq, anchor.hash) if anchor else (0, chain.GENESIS)
    events = AuditEvent.objects.filter(seq__gt=prev_seq)
    if since is not None:
        first = (
            events.filter(created_at__gte=_start_of(since))
            .order_by("seq")
            .values("seq", "prev_hash")
            .first()
        )
        if first is None:
            return chain.ChainReport(True, 0, last_seq=prev_seq, last_hash=prev_hash)
        prev_seq, prev_hash = first["seq"] - 1, first["prev_hash"]
        events = events.filter(seq__gte=first["seq"])
    rows = events.order_by("seq").values(*CHAIN_FIELDS).iterator(chunk_size=CHUNK)
    report = chain.verify(rows, prev_hash=prev_hash, prev_seq=prev_seq)
    if not report.ok:
        return report
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq > report.last_seq:
        return replace(
            report,
            ok=False,
            broken_seq=report.last_seq + 1,
            problem=f"events after #{report.last_seq} are missing "
            f"(the head row says the chain reaches #{head.seq})",
        )
    if anchor is not None and since is None and not _anchor_recorded(anchor):
        return replace(
            report,
            ok=False,
            broken_seq=anchor.seq,
            problem=f"the prune anchor at #{anchor.seq} is not recorded by any "
            "audit.pruned event",
        )
    if published is not None:
        problem = _published_problem(*published)
        if problem:
            return replace(report, ok=False, broken_seq=published[0], problem=problem)
    return report


def _anchor_recorded(anchor: AuditAnchor) -> bool:
    prunes = AuditEvent.objects.filter(action="audit.pruned", seq__gt=anchor.seq)
    return any(
        event.after.get("through_seq") == anchor.seq
        and event.after.get("through_hash") == anchor.hash
        for event in prunes
    )


def _published_problem(seq: int, digest: str) -> str:
    found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if found is None:
        anchor = AuditAnchor.objects.filter(seq=seq).first()
        if anchor is not None and anchor.hash == digest:
            return ""
        if AuditAnchor.objects.filter(seq__gt=seq).exists():
            return ""  # Pruned; the anchor's own event vouches for the older chain.
        return f"the published head #{seq} is no longer in the chain"
    if found != digest:
        return f"the published head #{seq} had hash {digest}, the chain now has {found}"
    return ""
