"""Benchmark: a 200-target probe run end to end on a real worker and PostgreSQL.

Usage (services up): .venv/bin/python bench/probe_fanout.py [--targets 200]
Prints the wall time from "start run" to "all results recorded", its ratio to
the ideal (100 ms per wave of the concurrency limit), the per-probe overhead,
and the SQL queries one run issues (measured in-process).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shipshape_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# The 200 targets share one loopback host here; in life they are 200 hosts, so
# the per-host cap (default 8, against hammering someone's server) is lifted.
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    DEBUG="true",
    PROBE_MAX_CONCURRENT_PER_TARGET="50",
)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
DELAY = 0.1


def start_worker(queue: str, *extra: str) -> subprocess.Popen:
    """A real Celery worker (2 processes) on one queue, in its own process group."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            *extra,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )


def bench_environment(targets: int, url: str):
    """A team, service and environment (its own probe zone) with `targets` HTTP
    probes of url; returns (new_release(version), environment)."""
    from django.contrib.auth.models import User

    from apps.accounts.models import Membership, Team
    from apps.catalog.models import Environment, Service
    from apps.checklists import services as checklists
    from apps.probes.models import ProbeConfig
    from apps.releases import services as releases

    template = checklists.template_ensure_default()
    stamp = str(time.time_ns())
    team = Team.objects.create(name=f"bench {stamp}", slug=f"bench-{stamp}")
    lead = User.objects.create(username=f"bench-{stamp}")
    Membership.objects.create(team=team, user=lead, role="lead")
    service = Service.objects.create(team=team, name="bench", slug=f"bench-{stamp}")
    environment = Environment.objects.create(
        service=service, name="bench", probe_zone=f"bench{stamp[-6:]}"
    )
    ProbeConfig.objects.bulk_create(
        ProbeConfig(
            environment=environment, name=f"t{n:03}", kind="http", target=url, timeout=5
        )
        for n in range(targets)
    )

    def new_release(version: str):
        return releases.release_create(
            service=service,
            environment=environment,
            template=template,
            version=version,
            by=lead,
        )

    return new_release, environment, lead


def timed_run(release, lead, probes: int) -> float:
    """Seconds from starting the release's probe run to its recorded finish."""
    from apps.probes import services
    from apps.probes.models import ProbeRun

    started = time.perf_counter()
    run = services.probe_run_start(release=release, by=lead)
    while not ProbeRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists():
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    assert ProbeRun.objects.get(pk=run.pk).results.count() == probes
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=200)
    args = parser.parse_args()
    support.ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)

    from apps.probes import services
    from apps.probes.models import ProbeRun
    from config.celery import app

    # The target runs in its own process (asyncio), so that its work shares no
    # interpreter lock with what is measured.
    port = support.free_port()
    target = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "slow_server.py"), str(port), str(DELAY)]
    )
    time.sleep(0.5)
    url = f"http://127.0.0.1:{port}/"

    new_release, environment, lead = bench_environment(args.targets, url)

    # In-process (eager) run: SQL queries of a whole run.
    app.conf.task_always_eager = True
    release = new_release("eager")
    with CaptureQueriesContext(connection) as queries:
        run = services.probe_run_start(release=release, by=lead)
    eager_queries = len(queries)
    assert ProbeRun.objects.get(pk=run.pk).results.count() == args.targets

    # Real worker run.
    app.conf.task_always_eager = False
    worker = start_worker(f"probes.{environment.probe_zone}")
    try:
        time.sleep(4)  # let the worker connect
        timings = []
        for attempt in range(3):
            release = new_release(f"worker-{attempt}")
            timings.append(timed_run(release, lead, args.targets))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
        target.terminate()
    waves = -(-args.targets // (services.BATCH_SIZE * 2))
    ideal = waves * DELAY
    best = min(timings)
    runs = [round(t, 3) for t in timings]
    per_probe = (best - ideal) * 1000 / args.targets
    print(f"targets: {args.targets}, batch {services.BATCH_SIZE}, 2 worker processes")
    print(f"end-to-end wall time: best {best:.3f} s, runs {runs}")
    print(f"ideal ({waves} waves x 100 ms): {ideal:.3f} s; ratio {best / ideal:.2f}")
    print(f"overhead beyond the network wait: {per_probe:.2f} ms per probe")
    print(f"SQL queries for a whole run (in-process): {eager_queries}")


if __name__ == "__main__":
    main()
