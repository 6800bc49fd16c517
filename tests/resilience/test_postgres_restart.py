"""PostgreSQL restarted in the middle of a probe run.

Everything runs against peers this test starts: a private PostgreSQL cluster
(initdb into a temporary directory), a private redis-server, a gunicorn web
server and a Celery worker, both pointed at them. The shared services are
never touched. While the worker's batch is waiting on slow probe targets, the
database stops and comes back: requests made meanwhile get a clean 503 (page
or JSON, no traceback); the batch that lost its connection is retried; the run
finishes with one result per probe; later requests succeed with no restart.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.core.private_redis import PrivateRedis, free_port
from tests.resilience.private_postgres import PrivatePostgres

pytestmark = pytest.mark.fault
ROOT = Path(__file__).resolve().parents[2]
PROBES = 6


@pytest.fixture
def stack(tmp_path, slow_target):
    """Private PostgreSQL and Redis, a migrated database, gunicorn and a worker."""
    postgres = PrivatePostgres()
    redis = PrivateRedis(tmp_path)
    processes: list[subprocess.Popen] = []
    try:
        postgres.start()
        redis.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": postgres.create_database("shipshape"),
            "REDIS_URL": redis.url,
            "DEBUG": "false",
            "SECRET_KEY": "fault-test-only-" + "k" * 40,
            "HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PROBE_ALLOWED_NETWORKS": "127.0.0.0/8",
            "LOG_LEVEL": "INFO",
        }
        run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True}
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, check=True, timeout=180, **run)
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.resilience.seed_private", slow_target,
             str(PROBES)],
            check=True, timeout=60, **run,
        )  # fmt: skip
        facts = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = free_port()
        logs = ROOT / "test-artifacts"
        logs.mkdir(exist_ok=True)

        def spawn(command: list[str], name: str) -> subprocess.Popen:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=open(logs / f"pg-restart-{name}.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(process)
            return process

        spawn(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
             f"127.0.0.1:{port}", "--timeout", "30", "config.wsgi"],
            "web",
        )  # fmt: skip
        spawn(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
             "celery,probes", "--concurrency", "1", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            "worker",
        )  # fmt: skip
        yield {
            **facts,
            "base": f"http://127.0.0.1:{port}",
            "postgres": postgres,
            "env": env,
        }
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        redis.stop()
        postgres.destroy()


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, psycopg.Error):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s")


def test_a_database_restart_mid_run_loses_nothing_and_requests_fail_cleanly(stack):
    base, postgres = stack["base"], stack["postgres"]
    api = httpx.Client(
        base_url=base, timeout=10, headers={"Authorization": f"Bearer {stack['token']}"}
    )
    database = stack["env"]["DATABASE_URL"]

    def run_state():
        with psycopg.connect(database, connect_timeout=2) as conn:
            return conn.execute(
                "SELECT status, finished_at IS NOT NULL,"
                " (SELECT count(*) FROM probes_proberesult r WHERE r.run_id = p.id)"
                " FROM probes_proberun p ORDER BY id DESC LIMIT 1"
            ).fetchone()

    _wait(lambda: api.get("/health/").status_code == 200, 30, "web up")
    releases = f"/api/v1/releases/{stack['release']}/"
    assert api.get(releases).status_code == 200
    started = subprocess.run(
        [sys.executable, "manage.py", "run_probes", str(stack["release"])],
        cwd=ROOT, env=stack["env"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    # The worker has taken the batch and is waiting on the slow targets.
    _wait(lambda: run_state()[0] == "running", 30, "the worker started the run")

    postgres.stop()
    try:
        page = httpx.get(
            base + "/", cookies={"sessionid": "x" * 32}, timeout=10
        )  # a signed-in-looking visit needs the session table
        data = api.get(releases)
    finally:
        postgres.start()

    assert page.status_code == 503
    assert "Temporarily unavailable" in page.text
    assert "Traceback" not in page.text and "OperationalError" not in page.text
    assert page.headers["Retry-After"] == "5"
    assert data.status_code == 503
    assert data.json() == {
        "detail": "The database is unavailable; try again in a moment."
    }

    status, finished, results = _wait(
        lambda: (state := run_state()) and state[1] and state,
        60,
        "the run finished after the restart",
    )
    # Every probe has one result and none is an error (3 s answers only warn).
    assert status == "warned", status
    assert results == PROBES
    # The batch really lost its connection mid-way and was retried.
    worker_log = (ROOT / "test-artifacts" / "pg-restart-worker.log").read_text()
    assert "retry: Retry in" in worker_log and "OperationalError" in worker_log
    # Later requests succeed on fresh connections, without restarting anything.
    assert api.get(releases).status_code == 200
    assert api.get(f"/api/v1/releases/{stack['release']}/readiness/").status_code == 200
