"""Canonical content and hashing of audit events, and walking the chain.

scripts/verify_chain.py repeats canonical(), event_hash() and section_digests()
with the standard library only; tests/audit/test_standalone_script.py proves
the two agree.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "team_id",
    "release_id",
    "before",
    "after",
    "request_id",
    "ip",
    "user_agent",
)


def timestamp(value: datetime) -> str:
    """The one text form of an event's time, in hashes and in exports."""
    return value.isoformat(timespec="microseconds")


def canonical(values: dict) -> bytes:
    """Stable bytes for an event's content: sorted keys, no spaces, ISO times."""
    content = {}
    for field in FIELDS:
        value = values.get(field)
        if isinstance(value, datetime):
            value = timestamp(value)
        content[field] = value
    return _dumps(content).encode()


def canonical_around(values: dict) -> tuple[str, str, str]:
    """canonical() of an event whose seq and created_at are not known yet, as
    the three texts around them: canonical(values) is the UTF-8 of
    head + timestamp(created_at) + middle + str(seq) + tail.

    For PostgreSQL to number, stamp and hash an event in the statement that
    locks the head (apps.audit.services): json.dumps with sorted keys writes
    each key and value as dumping it alone does, joined by commas.
    """
    pieces = {}
    for field in FIELDS:
        value = values.get(field)
        pieces[field] = json.dumps(field) + ":" + _dumps(value)
    keys = sorted(FIELDS)
    stamp, number = keys.index("created_at"), keys.index("seq")

    def joined(names: list[str]) -> str:
        return ",".join(pieces[name] for name in names)

    head = "{" + joined(keys[:stamp]) + ',"created_at":"'
    middle = '",' + joined(keys[stamp + 1 : number]) + ',"seq":'
    tail = "," + joined(keys[number + 1 :]) + "}"
    return head, middle, tail


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(values)).hexdigest()


SEAL = "seal"


def section_digests(document: dict) -> dict[str, str]:
    """SHA-256 of each top-level section of an exported document, but its seal.

    Each section is hashed as canonical JSON (sorted keys, no spaces), as
    parsed back from the file, so the script computes the same bytes. An export
    writes these into its own audit event, which the file carries as its seal.
    """
    return {
        name: hashlib.sha256(
            json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        ).hexdigest()
        for name, value in document.items()
        if name != SEAL
    }


@dataclass(frozen=True)
class ChainReport:
    """The result of a walk: how many events held, and the first one that did not."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""
    last_seq: int = 0
    last_hash: str = GENESIS


def verify(
    events: Iterable[dict], *, prev_hash: str = GENESIS, prev_seq: int = 0
) -> ChainReport:
    """Walk events in seq order; report the first one that breaks the chain."""
    checked = 0
    for values in events:
        seq = values["seq"]
        if seq != prev_seq + 1:
            problem = (
                f"event #{seq} appears twice"
                if seq == prev_seq
                else f"sequence jumps from {prev_seq} to {seq}"
            )
            return ChainReport(False, checked, seq, problem, prev_seq, prev_hash)
        if values["prev_hash"] != prev_hash:
            return ChainReport(
                False,
                checked,
                seq,
                "previous hash does not match the event before",
                prev_seq,
                prev_hash,
            )
        if event_hash(prev_hash, values) != values["hash"]:
            return ChainReport(
                False,
                checked,
                seq,
                "content does not match its hash",
                prev_seq,
                prev_hash,
            )
        prev_hash, prev_seq = values["hash"], seq
        checked += 1
    return ChainReport(True, checked, last_seq=prev_seq, last_hash=prev_hash)
