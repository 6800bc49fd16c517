"""Benchmark: streaming 100,000 audit events out as CSV and JSON Lines.

Usage (PostgreSQL up): .venv/bin/python bench/audit/export.py [--events 100000]
Seeds a fresh database with a valid chain of N events, then, for each format, runs
the export in a fresh process through Django's full request stack (the test client,
as a superuser) and reports the wall time, rows, bytes and the process's peak RSS
(before the request and at the end), and the CPU time the process used, which
the machine's load disturbs less than wall time. Rows are discarded as they stream.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

URL = os.environ.get(
    "BENCH_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/shipshape_haudit_bench_export",
)


def _rss_mb() -> float:
    from bench import support

    return support.peak_rss_mb()


def seed(count: int) -> None:
    """A valid chain of `count` events, written in batches (no per-event lock)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import Team
    from apps.audit import chain
    from apps.audit.models import AuditHead
    from bench import support

    team = Team.objects.create(name="Bench", slug="bench")
    start = timezone.now() - timedelta(days=30)
    events = (
        support.audit_event(
            seq=seq,
            n=seq,
            created_at=start + timedelta(seconds=seq),
            team_id=team.pk,
            release_id=seq // 40 + 1,
            note="Checked against the runbook, step 4",
        )
        for seq in range(1, count + 1)
    )
    prev = support.append_chain(events, chain.GENESIS)
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": count, "hash": prev})


def measure(fmt: str) -> dict:
    """Run in a fresh process: one export through the request stack."""
    from django.contrib.auth.models import User
    from django.test import Client

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(admin)
    before = _rss_mb()
    cpu = time.process_time()
    started = time.perf_counter()
    response = client.get("/records/audit-events/", {"download": "1", "format": fmt})
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    return {
        "format": fmt,
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "lines": lines,
        "megabytes": round(size / 1e6, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--measure", choices=["csv", "jsonl"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        common.configure(URL)
        print(json.dumps(measure(args.measure)))
        return
    common.recreate(URL)
    common.configure(URL)
    common.migrate()
    started = time.perf_counter()
    seed(args.events)
    print(f"seeded {args.events:,} events in {time.perf_counter() - started:.1f} s")
    for fmt in ("csv", "jsonl"):
        output = subprocess.run(
            [sys.executable, __file__, "--measure", fmt],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(
            f"{fmt}: {result['lines']:,} lines, {result['megabytes']} MB in "
            f"{result['seconds']} s ({result['cpu_seconds']} s of this process's "
            f"CPU); peak RSS {result['rss_peak_mb']} MB "
            f"(after start-up {result['rss_before_mb']} MB)"
        )


if __name__ == "__main__":
    main()
