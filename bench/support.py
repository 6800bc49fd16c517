"""What the benchmark scripts share: a loopback port, their database, audit events."""

import resource
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

BATCH = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of url unless it exists."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not found:
            connection.execute(f'CREATE DATABASE "{name}"')


def audit_event(
    *, seq: int, n: int, created_at, team_id: int, release_id: int, note: str
) -> dict:
    """The content of the n-th synthetic audit event: a tick or a sign-off."""
    return {
        "seq": seq,
        "created_at": created_at,
        "actor_id": None,
        "actor_label": f"engineer{n % 17}",
        "action": ("release_item.state_changed", "signoff.recorded")[n % 2],
        "target_type": "releases.releaseitem",
        "target_id": str(n),
        "team_id": team_id,
        "release_id": release_id,
        "before": {"state": "open", "note": ""},
        "after": {"state": "done", "note": note},
        "request_id": f"{n:032x}",
        "ip": "192.0.2.10",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    }


def append_chain(events: Iterable[dict], prev: str) -> str:
    """Write events as a valid hash chain after `prev`, in batches with no
    per-event lock; returns the new head hash (the caller moves the head)."""
    from apps.audit import chain
    from apps.audit.models import AuditEvent

    batch = []
    for values in events:
        digest = chain.event_hash(prev, values)
        batch.append(AuditEvent(prev_hash=prev, hash=digest, **values))
        prev = digest
        if len(batch) == BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)
    return prev


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux's `ru_maxrss` survives exec: a process started from a larger one
    (the harness, with its data set builder loaded) reports the parent's peak
    until it outgrows it. `VmHWM` is the high-water mark of this process's
    own memory.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
