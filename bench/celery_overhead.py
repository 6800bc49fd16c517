"""Benchmark: Celery task overhead for an empty probe, against a no-op task.

Usage (services up): .venv/bin/python bench/celery_overhead.py [--tasks 200]

One real worker (2 processes, Redis broker, PostgreSQL), in the same run:
- baseline: N no-op Celery tasks (bench/celery_tasks.py; each only increments a
  Redis counter, which the clock watches);
- empty probes: a probe run of N HTTP probes against a loopback server that
  answers at once, dispatched one probe per task (batch size 1), so each task is
  the whole per-task path of a probe: read the run and the probe, probe, record
  the result and its evidence, check whether the run is finished.
Prints the wall time, tasks per second and milliseconds of worker time per task
(wall time x 2 processes / N) for each, best of 3, and their ratio.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import probe_fanout, support  # noqa: E402 - sets the environment

PROCESSES = 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    support.ensure_database(probe_fanout.DATABASE_URL)
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from apps.probes import services
    from bench.celery_tasks import noop
    from config.celery import app

    call_command("migrate", verbosity=0)
    port = support.free_port()
    target = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "slow_server.py"), str(port), "0"]
    )
    time.sleep(0.5)
    new_release, environment, lead = probe_fanout.bench_environment(
        args.tasks, f"http://127.0.0.1:{port}/"
    )
    queue = f"probes.{environment.probe_zone}"
    app.conf.task_always_eager = False
    services.BATCH_SIZE = 1  # in this process: one probe per dispatched task
    worker = probe_fanout.start_worker(queue, "--include", "bench.celery_tasks")
    counter = redis.Redis.from_url(settings.REDIS_URL)
    noops, probes = [], []
    try:
        time.sleep(4)  # let the worker connect
        for attempt in range(3):
            key = f"bench:noop:{time.time_ns()}"
            started = time.perf_counter()
            for _ in range(args.tasks):
                noop.apply_async(args=[key], queue=queue)
            while int(counter.get(key) or 0) < args.tasks:
                time.sleep(0.002)
            noops.append(time.perf_counter() - started)

            release = new_release(f"empty-{attempt}")
            probes.append(probe_fanout.timed_run(release, lead, args.tasks))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
        target.terminate()

    def figures(seconds: float) -> dict:
        return {
            "seconds": round(seconds, 3),
            "tasks_per_second": round(args.tasks / seconds, 1),
            "ms_per_task": round(seconds * PROCESSES * 1000 / args.tasks, 2),
        }

    result = {
        "tasks": args.tasks,
        "noop": figures(min(noops)),
        "empty_probe": figures(min(probes)),
        "ratio": round(min(probes) / min(noops), 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    for name, label in (
        ("noop", "no-op task (baseline)"),
        ("empty_probe", "empty probe"),
    ):
        row = result[name]
        print(
            f"{label}: {args.tasks} tasks in {row['seconds']} s, "
            f"{row['tasks_per_second']}/s, {row['ms_per_task']} ms of worker time each"
        )
    print(f"ratio: {result['ratio']}x the no-op task")


if __name__ == "__main__":
    main()
