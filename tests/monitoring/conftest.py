"""Fixtures for scheduled probes: loopback HTTP and TLS targets, and a real
`celery worker --beat` process that dispatches schedules on its own."""

import datetime as dt
import os
import signal
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import trustme
from django.conf import settings

from tests.probes.conftest import celery_broker, target_url  # noqa: F401
from tests.probes.kinds.servers import LoopbackHTTPServer

ROOT = Path(__file__).resolve().parents[2]


def _tls_server(ca: trustme.CA, days: int) -> LoopbackHTTPServer:
    now = dt.datetime.now(dt.UTC)
    cert = ca.issue_cert(
        "127.0.0.1",
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=days, hours=12),
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return LoopbackHTTPServer({}, context).start()


@pytest.fixture(scope="session")
def expiring_servers():
    """TLS servers whose certificates have 20, 10 and 5 days left, by days."""
    ca = trustme.CA()
    servers = {days: _tls_server(ca, days) for days in (20, 10, 5)}
    yield {days: f"127.0.0.1:{server.port}" for days, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def beat_worker(celery_broker):  # noqa: F811 (a fixture imported above)
    """Start `celery worker --beat` on given queues, dispatching every second."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    database = settings.DATABASES["default"]
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    env = {
        **os.environ,
        "REDIS_URL": celery_broker,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{user}@{host}:{port}/{database['NAME']}",
        "PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        "MONITORING_DISPATCH_SECONDS": "1",
        "CELERY_TASK_SOFT_TIME_LIMIT": "10",
        "CELERY_TASK_TIME_LIMIT": "12",
    }
    processes: list[subprocess.Popen] = []

    def start(queues: list[str]) -> subprocess.Popen:
        name = uuid.uuid4().hex[:8]
        log = open(ROOT / "test-artifacts" / f"beat-{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--schedule",
                str(ROOT / "test-artifacts" / f"beat-{name}.db"),
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-Q",
                ",".join(queues),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"beat-{name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
