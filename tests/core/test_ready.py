"""Liveness and readiness, against a private Redis that each test starts and stops."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kombu import Connection

from apps.core import context, worker_heartbeat
from config.celery import app
from tests.core.private_redis import free_port
from tests.core.worker_process import WorkerProcess

ROOT = Path(__file__).resolve().parents[2]


def test_health_answers_without_touching_any_dependency(client, settings):
    # No `db` fixture: pytest-django would fail any query this made.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_without_redis_reports_in_process_and_is_ready(
    db, client, in_process_settings
):
    response = client.get("/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "not configured (in-process)"
    assert body["checks"]["workers"]["status"] == "not configured (in-process)"
    assert all("latency_ms" in check for check in body["checks"].values())


def test_a_fresh_heartbeat_from_a_worker_that_does_not_answer_is_not_ready(
    db, client, redis_settings, private_redis
):
    # What a worker that died a moment ago (or before Redis restarted) leaves.
    worker_heartbeat.beat(private_redis.client(), "celery@worker-a")

    response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert body["checks"]["workers"]["detail"] == (
        "no Celery worker answered a ping within 1 s (heartbeats from: celery@worker-a)"
    )


def test_ready_is_503_naming_workers_when_no_worker_beat_recently(
    db, client, redis_settings, private_redis
):
    redis_settings.WORKER_SEEN_WITHIN_SECONDS = 1
    worker_heartbeat.beat(private_redis.client(), "celery@worker-a")
    time.sleep(1.2)

    response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert (
        "no Celery worker heartbeat in the last 1 s"
        in (body["checks"]["workers"]["detail"])
    )


def test_ready_is_503_naming_cache_broker_and_workers_when_redis_stops(
    db, client, redis_settings, private_redis
):
    # No worker here: a live one is test_ready_reports_a_killed_worker_down...
    assert client.get("/ready/").json()["down"] == ["workers"]

    private_redis.stop()
    response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["cache", "broker", "workers"]
    assert body["checks"]["database"]["status"] == "ok"
    assert "Connection" in body["checks"]["broker"]["detail"]

    private_redis.start()
    # Cache and broker are back without a restart.
    assert client.get("/ready/").json()["down"] == ["workers"]


def _ready_in_subprocess(env: dict) -> dict:
    code = (
        "import json, django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/ready/');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ready_is_503_naming_the_database_when_postgres_does_not_answer():
    closed = free_port()
    result = _ready_in_subprocess(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed}/shipshape",
            "REDIS_URL": "",
        }
    )

    assert result["status"] == 503
    assert result["body"]["down"] == ["database"]
    assert result["body"]["checks"]["database"]["status"] == "down"


def _ready_when(client, worker: WorkerProcess, status: int) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert worker.alive, worker.log()[-3000:]
        response = client.get("/ready/")
        if response.status_code == status:
            return response.json()
        time.sleep(0.5)
    raise AssertionError(f"/ready/ never answered {status}: {response.json()}")


@pytest.mark.celery
@pytest.mark.fault
def test_ready_reports_a_killed_worker_down_the_moment_it_is_asked(
    db, client, redis_settings, private_redis, tmp_path
):
    worker = WorkerProcess(private_redis.url, tmp_path).start()
    try:
        body = _ready_when(client, worker, 200)
        assert worker.name in body["checks"]["workers"]["detail"]

        worker.kill()  # SIGKILL, the worker and its pool: no goodbye
        redis = private_redis.client()
        assert worker_heartbeat.workers_seen(redis, 60) == [worker.name]  # fresh
        response = client.get("/ready/")
    finally:
        worker.stop()

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert body["checks"]["workers"]["detail"] == (
        f"no Celery worker answered a ping within 1 s (heartbeats from: {worker.name})"
    )


@pytest.mark.celery
def test_a_real_worker_is_seen_by_ready_and_gets_the_request_id(
    db, client, redis_settings, private_redis, tmp_path
):
    heartbeat_file = tmp_path / "heartbeat"
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", "solo", "--loglevel", "INFO",
            "--hostname", "celery@ready-test", "--without-mingle",
            "--without-gossip", "--include", "tests.core.worker_tasks",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "REDIS_URL": private_redis.url,
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_HEARTBEAT_FILE": str(heartbeat_file),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 45
        body = {}
        while time.monotonic() < deadline and worker.poll() is None:
            response = client.get("/ready/")
            body = response.json()
            if response.status_code == 200:
                break
            time.sleep(0.5)
        assert body.get("status") == "ok", (body, worker.poll())
        assert "celery@ready-test" in body["checks"]["workers"]["detail"]
        assert time.time() - heartbeat_file.stat().st_mtime < 5

        token = context.bind(context.RequestContext(request_id="req-to-worker-1"))
        try:
            with Connection(private_redis.url) as connection:
                app.send_task(
                    "tests.core.remember_request_id",
                    args=["seen-request-id"],
                    connection=connection,
                )
        finally:
            context.reset(token)
        redis = private_redis.client()
        deadline = time.monotonic() + 20
        while redis.get("seen-request-id") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert redis.get("seen-request-id") == b"req-to-worker-1"
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    # A worker that stops cleanly takes its heartbeat with it.
    assert worker_heartbeat.workers_seen(private_redis.client(), 60) == []
    # Python's own warnings (running as root here) are not log records.
    lines = [
        json.loads(line) for line in stderr.decode().splitlines() if line[:1] == "{"
    ]
    assert any(line["logger"].startswith("celery") for line in lines)
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])
