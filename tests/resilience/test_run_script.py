"""`make run` (scripts/run.sh): a worker that dies is started again, no human needed.

The script runs as `make run` runs it, against a private Redis and this test's
database, on a free port. Its worker is killed with SIGKILL (as the OOM killer
would); the script starts a new one, which /ready/ then finds answering.
"""

import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

from tests.core.private_redis import free_port
from tests.core.worker_process import ROOT, database_url

pytestmark = [pytest.mark.fault, pytest.mark.celery, pytest.mark.postgres]
STARTED = re.compile(r"Celery worker started \(pid (\d+)\)")


class Script:
    """scripts/run.sh in a session of its own; its output, line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: re.Pattern, seconds: float) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := pattern.search(line):
                return found
        raise AssertionError(
            f"no {pattern.pattern!r} in:\n{''.join(self.seen)[-3000:]}"
        )

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _ready(client) -> dict | None:
    response = client.get("/ready/")
    return response.json() if response.status_code == 200 else None


def test_make_runs_worker_is_started_again_when_it_dies(
    transactional_db, client, redis_everywhere
):
    script = Script(
        {
            **os.environ,
            "REDIS_URL": redis_everywhere.url,
            "DATABASE_URL": database_url(),
            "PORT": str(free_port()),
            "WORKER_HEARTBEAT_SECONDS": "1",
        }
    )
    try:
        first = int(script.wait_for(STARTED, 60)[1])
        os.kill(first, signal.SIGKILL)

        script.wait_for(re.compile(r"Celery worker exited \(status 137\)"), 30)
        second = int(script.wait_for(STARTED, 30)[1])
        deadline = time.monotonic() + 60
        while (body := _ready(client)) is None and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        script.stop()

    assert second != first
    assert body is not None, "the restarted worker never answered /ready/'s ping"
    assert body["checks"]["workers"]["detail"].startswith("1 answered: celery@")
