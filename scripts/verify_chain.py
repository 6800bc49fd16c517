#!/usr/bin/env python3
"""Re-verify Shipshape audit events from an exported file (standard library only).

Usage:
    python3 verify_chain.py FILE [--complete] [--published SEQ:HASH] [--unsealed]

FILE is a deployment record downloaded as JSON, a bulk export in JSON Lines (one
event per line), or a JSON list of events. For every event the script
recomputes SHA-256(previous hash + canonical content) and compares it with the
stored hash; where two events with consecutive numbers are both in the file, it
also checks that the later one links to the earlier. A deployment record holds
only its release's events, so links across events of other releases cannot be
checked from it; --complete insists on an unbroken chain from the first event
(use it with a full bulk export). --published compares a head published earlier.

A deployment record is also checked against its seal: the audit event its export
wrote, which holds a digest of every section of the record and the number of its
events. An edited or missing section, an added section, or an event removed or
added fails the check. The seal's own hash is printed: compare it with the
database (`manage.py verify_audit --published SEQ:HASH`) to rule out a seal that
was recomputed along with the edit. --unsealed accepts a record exported before
records were sealed, checking its timeline alone.

Exit status: 0 intact, 1 broken (the first broken event is named), 2 bad input.
The canonical forms below must stay identical to apps/audit/chain.py; the test
tests/audit/test_standalone_script.py proves that the two agree.
"""

import argparse
import hashlib
import json
import re
import sys

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
PUBLISHED = re.compile(r"^(\d+):([0-9a-f]{64})$")
SEAL = "seal"
EXPORTED = "deployment_record.exported"


class BadInput(Exception):
    """The file or the arguments cannot be read as asked."""


def canonical(values: dict) -> bytes:
    """Stable bytes for an event's content: sorted keys, no spaces, ISO times."""
    content = {field: values.get(field) for field in FIELDS}
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def event_hash(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(values)).hexdigest()


def section_digests(document: dict) -> dict:
    """SHA-256 of each top-level section's canonical JSON, but the seal's."""
    return {
        name: hashlib.sha256(
            json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        ).hexdigest()
        for name, value in document.items()
        if name != SEAL
    }


def _is_event(event: object) -> bool:
    return (
        isinstance(event, dict)
        and all(f in event for f in (*FIELDS, "prev_hash", "hash"))
        and isinstance(event["seq"], int)
        and all(isinstance(event[f], str) for f in ("prev_hash", "hash"))
    )


def load(path: str) -> tuple[list[dict], dict | None]:
    """The events of the file, by seq, and the deployment record if it is one."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise BadInput(
                f"{path} is neither JSON nor JSON Lines (line {error.lineno})"
            ) from None
    record = None
    if isinstance(data, dict):
        record = data if "timeline" in data else None
        data = data.get("timeline", data.get("events"))
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise BadInput(f"{path} holds no list of audit events")
    for event in data:
        missing = [f for f in (*FIELDS, "prev_hash", "hash") if f not in event]
        if missing or not isinstance(event["seq"], int):
            raise BadInput(f"an event in {path} lacks {', '.join(missing) or 'seq'}")
    return sorted(data, key=lambda event: event["seq"]), record


def verify_seal(record: dict) -> tuple[bool, str]:
    """Check every section and the event count of a record against its seal."""
    seal = record.get(SEAL)
    event = seal.get("event") if isinstance(seal, dict) else None
    if not _is_event(event):
        return False, (
            "the record carries no seal, so its sections cannot be checked "
            "(exported before records were sealed? download it again, or pass "
            "--unsealed to check its timeline alone)"
        )
    name = f"the seal (event #{event['seq']})"
    if event_hash(event["prev_hash"], event) != event["hash"]:
        return False, f"{name} does not match its hash"
    release = record.get("release")
    release_id = release.get("id") if isinstance(release, dict) else None
    if event["action"] != EXPORTED or event["target_id"] != str(release_id):
        return False, f"{name} is not an export of release {release_id}"
    after = event["after"] if isinstance(event["after"], dict) else {}
    sealed, count = after.get("sections"), after.get("events")
    if not isinstance(sealed, dict) or not isinstance(count, int):
        return False, f"{name} holds no digests of the record"
    timeline = record["timeline"]
    if count != len(timeline):
        return False, (
            f"the record lists {len(timeline)} events, {name} counts {count}: "
            "an event was removed or added"
        )
    actual = section_digests(record)
    for section in sorted(set(sealed) | set(actual)):
        if section not in actual:
            return False, f"section {section!r} is missing; {name} covers it"
        if section not in sealed:
            return False, f"section {section!r} is not covered by {name}"
        if actual[section] != sealed[section]:
            return False, f"section {section!r} does not match {name}: edited"
    if timeline and event["seq"] <= max(e["seq"] for e in timeline):
        return False, f"{name} is older than the record's last event"
    return True, (
        f"sealed by event #{event['seq']} {event['hash']}, which every section "
        "and the event count match (compare it with the database: manage.py "
        f"verify_audit --published {event['seq']}:{event['hash']})"
    )


def verify(events: list[dict], *, complete: bool) -> tuple[bool, str]:
    """Check every event's hash and every link the file allows; name the first break."""
    previous = None
    links = gaps = 0
    for event in events:
        seq = event["seq"]
        if previous is None:
            if complete and (seq != 1 or event["prev_hash"] != GENESIS):
                return False, f"event #{seq}: the file does not start the chain"
        elif seq == previous["seq"]:
            return False, f"event #{seq}: appears twice"
        elif seq == previous["seq"] + 1:
            if event["prev_hash"] != previous["hash"]:
                return False, f"event #{seq}: previous hash does not match #{seq - 1}"
            links += 1
        else:
            if complete:
                return False, f"event #{seq}: sequence jumps from {previous['seq']}"
            gaps += 1
        if event_hash(event["prev_hash"], event) != event["hash"]:
            return False, f"event #{seq}: content does not match its hash"
        previous = event
    last = f"last #{previous['seq']} {previous['hash']}" if previous else "no events"
    return True, (
        f"{len(events)} events, each hash matches its content; {links} links "
        f"checked; {gaps} gaps (events not in this file); {last}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--complete", action="store_true")
    parser.add_argument("--published", metavar="SEQ:HASH")
    parser.add_argument(
        "--unsealed",
        action="store_true",
        help="accept a deployment record exported before records were sealed",
    )
    args = parser.parse_args(argv)
    try:
        events, record = load(args.file)
        published = None
        if args.published:
            match = PUBLISHED.match(args.published.strip().lower())
            if not match:
                raise BadInput("--published takes SEQ:HASH (64 hex digits)")
            published = int(match[1]), match[2]
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ok, message = verify(events, complete=args.complete)
    if ok and record is not None:
        if args.unsealed and SEAL not in record:
            message += "; the record is not sealed: only its timeline was checked"
        else:
            ok, sealed = verify_seal(record)
            message = f"{message}; {sealed}" if ok else sealed
    if ok and published:
        known = (
            [*events, record[SEAL]["event"]] if record and SEAL in record else events
        )
        found = {event["seq"]: event["hash"] for event in known}.get(published[0])
        if found != published[1]:
            ok, message = (
                False,
                (
                    f"event #{published[0]}: published hash {published[1]} does not "
                    f"match {found or 'an event in this file'}"
                ),
            )
    print(
        ("OK: " if ok else "BROKEN: ") + message, file=sys.stdout if ok else sys.stderr
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
