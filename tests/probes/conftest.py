"""Fixtures for probe runs: a loopback HTTP target and real Celery workers."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from apps.checklists.models import TemplateItem
from apps.probes import services
from tests.services import REDIS_URL, require

ROOT = Path(__file__).resolve().parents[2]


class _Target(BaseHTTPRequestHandler):
    """/ok answers 200, /fail 500, /slow after 0.5 s, /hang never answers."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/hang"):
            time.sleep(30)
        if self.path.startswith("/slow"):
            time.sleep(0.5)
        status = 500 if self.path.startswith("/fail") else 200
        body = b'{"status": "ok"}' if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def target_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class Worker:
    """A real `celery worker` process on given queues, against the test database."""

    def __init__(self, queues: list[str], env: dict[str, str]) -> None:
        self.queues = queues
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        path = ROOT / "test-artifacts" / f"worker-{uuid.uuid4().hex[:6]}.log"
        log = open(path, "w")  # noqa: SIM115 (the worker process writes to it)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "-Q",
                ",".join(self.queues),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker: the parent and its pool children."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def use_broker(url: str, *, eager: bool) -> None:
    """Point the test process's Celery app at a broker, dropping old connections."""
    from config.celery import app

    app.conf.task_always_eager = eager
    app.conf.broker_url = url
    # Forget cached pools (closing them would poison kombu's global registry).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_broker(transactional_db):
    """Publish tasks to real Redis for this test, instead of running them eagerly."""
    url = require("Redis", REDIS_URL, 6379)
    use_broker(url, eager=False)
    yield url
    use_broker("memory://", eager=True)


@pytest.fixture
def start_worker(celery_broker):
    """Start workers that see this test's database; all are stopped afterwards."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "REDIS_URL": celery_broker,
        "DEBUG": "true",
        "PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        "CELERY_VISIBILITY_TIMEOUT": "8",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_TASK_SOFT_TIME_LIMIT": "5",
        "CELERY_TASK_TIME_LIMIT": "6",
    }
    if database["ENGINE"].endswith("postgresql"):
        user = database["USER"] or "postgres"
        host = database["HOST"] or "127.0.0.1"
        port = database["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{database['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    workers: list[Worker] = []

    def start(queues: list[str]) -> Worker:
        worker = Worker(queues, env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def configure(environment, lead, template, name, target, verifies=(), **fields):
    items = list(
        TemplateItem.objects.filter(phase__template=template, text__in=verifies)
    )
    assert len(items) == len(verifies)
    return services.probe_config_save(
        environment=environment,
        by=lead,
        name=name,
        kind=fields.pop("kind", "http"),
        target=target,
        verifies=items,
        **fields,
    )


def add_result(run, config, status: str, summary: str):
    """A probe's result in a run, as a worker's batch records it."""
    from apps.probes.models import ProbeResult

    return ProbeResult.objects.create(
        run=run,
        config=config,
        name=config.name,
        kind=config.kind,
        target=config.target,
        status=status,
        summary=summary,
        duration_ms=1.0,
    )


def wait_for(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
