"""The tick at N connections, with where its CPU goes and how long the release's
lock is held: per process (from /proc, around each wrk run), the machine's idle
share, and PostgreSQL's sessions sampled every 5 ms (waiting for a lock, idle in
a transaction: the lock holder's own work, active).

    .venv/bin/python bench/tick_split.py [--connections 8] [--duration 6] [--runs 2]

Idle CPU while sessions wait for a lock means the tick is bound by the lock, not
the CPU. Uses bench/run.py's data set, server and wrk, as bench/tick.py does.
"""

import argparse
import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import run, tick  # noqa: E402


def _cpu_by_process() -> dict[str, int]:
    ticks: dict[str, int] = collections.Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks[name] += int(fields[11]) + int(fields[12])
    return ticks


def _idle() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)


def _sample_sessions(stop: threading.Event, seen: collections.Counter) -> None:
    import psycopg

    query = (
        "SELECT state, wait_event_type FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    with psycopg.connect(run.DATABASE_URL, autocommit=True) as session:
        while not stop.is_set():
            for state, waiting in session.execute(query):
                seen[f"{state}{', waiting: ' + waiting if waiting else ''}"] += 1
            seen["samples"] += 1
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    with tick.served(baseline_seconds=5) as (url, options, base):
        run.wrk(url, connections=args.connections, duration=1, **options)
        hz = os.sysconf("SC_CLK_TCK")
        for _ in range(args.runs):
            seen: collections.Counter = collections.Counter()
            stop = threading.Event()
            sampler = threading.Thread(target=_sample_sessions, args=(stop, seen))
            before, idle_before = _cpu_by_process(), _idle()
            sampler.start()
            measured = run.wrk(
                url, connections=args.connections, duration=args.duration, **options
            )
            stop.set()
            sampler.join()
            after, idle_after = _cpu_by_process(), _idle()
            ticks = measured["requests"]
            split = {
                name: (after[name] - before.get(name, 0)) * 1000 / hz / ticks
                for name in after
                if after[name] - before.get(name, 0) > 0
            }
            idle = (idle_after[0] - idle_before[0]) / (idle_after[1] - idle_before[1])
            top = sorted(split.items(), key=lambda pair: -pair[1])[:4]
            print(
                f"baseline {base['rps']:.0f}/s | tick {measured['rps']:.1f}/s,"
                f" p50 {measured['p50_ms']} ms, p99 {measured['p99_ms']} ms |"
                f" idle {idle:.1%} | CPU ms a tick: "
                + ", ".join(f"{name} {ms:.2f}" for name, ms in top)
            )
            samples = seen.pop("samples", 1)
            print(
                "  PostgreSQL sessions on average: "
                + ", ".join(
                    f"{state} {n / samples:.2f}" for state, n in seen.most_common(5)
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
