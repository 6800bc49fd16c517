#!/usr/bin/env python3
"""Re-verify Shipshape audit events from an exported file (standard library only).

Usage:
    python3 verify_chain.py FILE [--complete] [--published SEQ:HASH]

FILE is a deployment record downloaded as JSON (its "timeline"), a bulk export in
JSON Lines (one event per line), or a JSON list of events. For every event the
script recomputes SHA-256(previous hash + canonical content) and compares it with
the stored hash; where two events with consecutive numbers are both in the file,
it also checks that the later one links to the earlier. A deployment record holds
only its release's events, so links across events of other releases cannot be
checked from it; --complete insists on an unbroken chain from the first event
(use it with a full bulk export). --published compares a head published earlier.

Exit status: 0 intact, 1 broken (the first broken event is named), 2 bad input.
The canonical form below must stay identical to apps/audit/chain.py; the test
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


def load(path: str) -> list[dict]:
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
    if isinstance(data, dict):
        data = data.get("timeline", data.get("events"))
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise BadInput(f"{path} holds no list of audit events")
    for event in data:
        missing = [f for f in (*FIELDS, "prev_hash", "hash") if f not in event]
        if missing or not isinstance(event["seq"], int):
            raise BadInput(f"an event in {path} lacks {', '.join(missing) or 'seq'}")
    return sorted(data, key=lambda event: event["seq"])


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
    args = parser.parse_args(argv)
    try:
        events = load(args.file)
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
    if ok and published:
        found = {event["seq"]: event["hash"] for event in events}.get(published[0])
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
