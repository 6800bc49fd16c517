"""gunicorn settings for the image: sync workers, JSON-friendly logs, shared metrics."""

import os
import shutil
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104 - inside a container
# Sync workers, 2 per core (3-4 on 2 cores measured best; see PERF-NOTES). Set
# WEB_CONCURRENCY to the CPU limit x 2 where the container's CPUs are capped.
workers = int(
    os.environ.get("WEB_CONCURRENCY", max(2, min(2 * len(os.sched_getaffinity(0)), 8)))
)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never reaches the memory limit.
max_requests = 2000
max_requests_jitter = 200
# Load the app once, in the master: a recycled worker is then a fork of it, not
# a fresh Django start-up (0.8 s of CPU). Polling the readiness API at 1,000+
# answers/s recycled each worker every few seconds: without preload 20-29 %
# fewer answers than without recycling and a p99 of 1.2 s; with it 6-12 % fewer
# and a p99 of 69-233 ms (docs/benchmarks.md). Nothing connects to PostgreSQL
# or Redis at import, and config/wsgi.py freezes the loaded objects out of the
# collector's view before the fork, so the workers share them.
preload_app = True
# The root file system may be read-only: heartbeat files go to memory.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# Django logs every request as JSON with its request id; no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server) -> None:
    """Start each master with an empty metrics directory (stale pids would linger)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    """Fold a dead worker's gauges away; its counters stay in the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
