"""Benchmark: audit appends per second on PostgreSQL, chain and lock vs a plain insert.

Usage (PostgreSQL up): .venv/bin/python bench/audit/append.py [--events 2000]
Each append is its own transaction, as in a service. "plain" inserts the same row
with no head lock and no hashing; "chain" calls apps.audit.services.record(). With
1 writer and with 4 writer processes (each its own connection), two measurements:

- interleaved: every writer alternates plain and chain appends, so both kinds see
  the same machine noise; the ratio of their mean latencies is the chain's cost.
- phases: all writers append only plain, then only chain, in alternating rounds;
  events per second over all writers, median of the rounds.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

URL = os.environ.get(
    "BENCH_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/shipshape_haudit_bench_append",
)
PAYLOAD = {"state": "done", "note": "Checked against the runbook", "text": "x" * 80}


def _plain(number: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from apps.audit.models import AuditEvent

    with transaction.atomic():
        AuditEvent.objects.create(
            seq=-number,
            created_at=timezone.now(),
            actor_label="bench",
            action="bench.appended",
            target_type="bench",
            target_id=str(number),
            before={"state": "open"},
            after=PAYLOAD,
            request_id=uuid.uuid4().hex,
            ip="127.0.0.1",
            user_agent="bench/1.0",
            prev_hash="0" * 64,
            hash=uuid.uuid4().hex * 2,
        )


def _chain(number: int) -> None:
    from apps.audit import services

    services.record(
        actor=None,
        actor_label="bench",
        action="bench.appended",
        target_type="bench",
        target_id=number,
        before={"state": "open"},
        after=PAYLOAD,
    )


def _writer(mode: str, first: int, count: int, barrier, results) -> None:
    common.configure(URL)
    _plain(first)  # open the connection before the clock starts
    barrier.wait()
    if mode == "interleaved":
        spent = {"plain": 0.0, "chain": 0.0}
        for number in range(first + 1, first + count):
            kind = ("plain", "chain")[number % 2]
            started = time.perf_counter()
            (_plain if kind == "plain" else _chain)(number)
            spent[kind] += time.perf_counter() - started
        results.put(spent)
        return
    append = _plain if mode == "plain" else _chain
    start = time.perf_counter()
    for number in range(first + 1, first + count):
        append(number)
    results.put((start, time.perf_counter(), count - 1))


def measure(mode: str, writers: int, count: int, offset: int):
    """Events per second over all writers, from the first start to the last end.

    In interleaved mode: the total time spent in each kind of append.
    """
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(writers), context.Queue()
    processes = [
        context.Process(
            target=_writer,
            args=(mode, offset + index * count, count, barrier, results),
        )
        for index in range(writers)
    ]
    for process in processes:
        process.start()
    spans = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    if mode == "interleaved":
        return {k: sum(span[k] for span in spans) for k in ("plain", "chain")}
    elapsed = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return sum(n for _, _, n in spans) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="per writer")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    common.recreate(URL)
    common.configure(URL)
    common.migrate()
    from django.db import connection

    connection.close()
    offset = 1
    for writers in (1, 4):
        spent = measure("interleaved", writers, args.events, offset)
        offset += writers * args.events
        print(
            f"{writers} writer(s), interleaved: plain {spent['plain'] * 1e3:,.0f} ms, "
            f"chain+lock {spent['chain'] * 1e3:,.0f} ms for the same number of "
            f"appends; cost {spent['chain'] / spent['plain']:.2f}x"
        )
        rates: dict[str, list[float]] = {"plain": [], "chain": []}
        for _ in range(args.rounds):
            for mode in ("plain", "chain"):
                rates[mode].append(measure(mode, writers, args.events, offset))
                offset += writers * args.events
        plain = statistics.median(rates["plain"])
        chained = statistics.median(rates["chain"])
        print(
            f"{writers} writer(s), phases: plain insert {plain:,.0f}/s, "
            f"chain+lock {chained:,.0f}/s, cost {plain / chained:.2f}x "
            f"(rounds: plain {[round(r) for r in rates['plain']]}, "
            f"chain {[round(r) for r in rates['chain']]})"
        )
    from apps.audit import verification

    report = verification.chain_verify()
    print(f"chain after the run: {report.checked} chained events, ok={report.ok}")


if __name__ == "__main__":
    main()
