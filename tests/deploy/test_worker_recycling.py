"""gunicorn as the image runs it (docker/gunicorn.conf.py) recycles each worker
after `max_requests`. The app is loaded once, in the master (`preload_app`), so a
new worker is a fork of the loaded app rather than a fresh Django start-up
(0.8 s of CPU here; docs/benchmarks.md measured what the start-ups cost a polled
answer). Forked workers must still open their own database connections: this
serves the readiness API from the test database through several generations
of workers.
"""

import http.client
import json
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.accounts import tokens
from tests.core import gunicorn
from tests.core.private_redis import free_port

pytestmark = pytest.mark.postgres
RECYCLE_AFTER = 3


@pytest.fixture(scope="module")
def recycling_gunicorn(django_db_setup, django_db_blocker, tmp_path_factory):
    """The image's gunicorn configuration, 2 workers, each recycled after 3
    requests, on the test database."""
    with django_db_blocker.unblock():
        database = connection.settings_dict
    port = free_port()
    env = gunicorn.env_for_test_database(
        database,
        "worker-recycling",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path_factory.mktemp("prometheus")),
        GUNICORN_CMD_ARGS=(
            f"--bind 127.0.0.1:{port} --max-requests {RECYCLE_AFTER}"
            " --max-requests-jitter 0"
        ),
    )
    with gunicorn.started(env, gunicorn.IMAGE_ARGS, gunicorn.health(port)) as process:
        yield {"port": port, "master": process.pid}


def _workers(master: int) -> set[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout
    return {int(pid) for pid in found.split()}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_recycled_workers_are_forks_of_the_loaded_app_and_answer_from_the_database(
    recycling_gunicorn, transactional_db, lead, release
):
    _token, secret = tokens.token_create(user=lead, name="recycling", expires_at=None)
    port, master = recycling_gunicorn["port"], recycling_gunicorn["master"]
    first = _workers(master)

    answers = []
    for _ in range(RECYCLE_AFTER * 6):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "GET",
            f"/api/v1/releases/{release.pk}/readiness/",
            headers={"Authorization": f"Bearer {secret}"},
        )
        response = conn.getresponse()
        answers.append((response.status, json.loads(response.read())))
        conn.close()

    assert {status for status, _ in answers} == {200}
    # The release has open items: every generation read it and judged it.
    assert all(body["ready"] is False and body["blockers"] for _, body in answers)
    # The workers that answered the first requests were replaced.
    deadline = time.monotonic() + 10
    while _workers(master) & first and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _workers(master) & first
    # The master holds the loaded app (Django, DRF, the apps): it is the size of
    # a worker, not of a bare gunicorn arbiter (about 20 MB).
    assert _rss_mb(master) > 60
