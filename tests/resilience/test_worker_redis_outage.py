"""Redis goes away for 20 s under a running Celery worker: the worker rides it out.

A private redis-server (no persistence, so it comes back empty) is the broker and
cache; a real worker, started with the production command line
(tests.core.worker_process), runs against it and this test's database. One probe
run is in flight (its target answers after 3 s) when Redis stops; another is
started while Redis is down. When Redis returns, the same worker process, never
restarted, finishes both.

Before the fix the worker exited as Redis stopped: "Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')" while restoring the
unacknowledged batch (celery/kombu 5.7.0, see apps/core/broker.py), or, with no
task in flight, after one reconnection attempt (CELERY_BROKER_CONNECTION_MAX_RETRIES
was 1).
"""

import time

import pytest

from apps.probes import services as probes
from apps.probes.models import ProbeRun
from tests.core.worker_process import WorkerProcess
from tests.probes.conftest import wait_for

pytestmark = [pytest.mark.fault, pytest.mark.celery, pytest.mark.postgres]
OUTAGE_SECONDS = 20


@pytest.fixture
def worker(redis_everywhere, tmp_path):
    process = WorkerProcess(redis_everywhere.url, tmp_path).start()
    yield process
    process.stop()


def _status(run: ProbeRun, worker: WorkerProcess) -> str:
    assert worker.alive, f"the worker exited:\n{worker.log()[-3000:]}"
    run.refresh_from_db()
    return run.status


def _ready(client) -> dict | None:
    response = client.get("/ready/")
    return response.json() if response.status_code == 200 else None


def test_a_worker_rides_out_a_20_s_redis_outage_and_finishes_every_run(
    transactional_db, client, redis_everywhere, worker, release, lead, slow_target
):
    probes.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Slow",
        kind="http",
        target=slow_target,  # answers after 3 s
        options={"max_latency_ms": 10_000},  # slow on purpose: not a warning
        timeout=10,
    )
    redis = redis_everywhere.client()
    wait_for(lambda: redis.zscore("shipshape:workers:heartbeat", worker.name), 60)
    pid = worker.process.pid

    in_flight = probes.probe_run_start(release=release, by=lead)
    # The batch marks its run running, then waits 3 s on the target.
    wait_for(lambda: _status(in_flight, worker) == ProbeRun.Status.RUNNING, 30)
    redis_everywhere.stop()
    stopped = time.monotonic()
    started_while_down = probes.probe_run_start(release=release, by=lead)
    started_while_down.refresh_from_db()
    assert started_while_down.dispatched_at is None  # nothing to send it to
    assert client.get("/ready/").json()["down"] == ["cache", "broker", "workers"]
    time.sleep(OUTAGE_SECONDS - (time.monotonic() - stopped))
    redis_everywhere.start()  # same port, empty
    # What the sweeper does every 30 s for a run left queued.
    assert probes.probe_run_dispatch(started_while_down.pk) is True

    runs = (in_flight, started_while_down)
    for run in runs:
        wait_for(lambda r=run: _status(r, worker) not in ("queued", "running"), 90)

    assert worker.alive
    assert worker.process.pid == pid  # the same process: never restarted
    assert [(run.status, run.results.count()) for run in runs] == [("passed", 1)] * 2
    assert "Unrecoverable error" not in worker.log()
    # Ready again once the worker answers (its heartbeat went with Redis's data).
    body = wait_for(lambda: _ready(client), 30)
    assert body["checks"]["workers"]["detail"] == f"1 answered: {worker.name}"
