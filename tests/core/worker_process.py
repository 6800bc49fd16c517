"""A real `celery worker`, started the way production starts it, for fault tests.

The command line is the one in k8s/worker.yaml, docker/docker-compose.yml and
scripts/run.sh (prefork, two processes, remote control, gossip and mingle on),
pointed at a private Redis and at this test's database. The worker gets a
session of its own, so kill() takes its pool processes with it.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test uses (the test database, not shp_*)."""
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        return f"sqlite:///{database['NAME']}"
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


class WorkerProcess:
    """One worker process; start(), alive, kill() and stop() it; read its log."""

    def __init__(self, redis_url: str, workdir: Path, **env: str) -> None:
        self.name = f"celery@fault-{uuid.uuid4().hex[:6]}"
        self.heartbeat_file = workdir / f"{self.name}.heartbeat"
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        self.log_path = ROOT / "test-artifacts" / f"worker-{self.name[7:]}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_HEARTBEAT_FILE": str(self.heartbeat_file),
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "--loglevel", "INFO", "--concurrency", "2", "-Q", "celery,probes",
                "--hostname", self.name,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.log_path, "w"),  # noqa: SIM115 (the worker writes it)
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _signal_all(self, signum: int) -> bool:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as the OOM killer would."""
        if self.process is not None and self._signal_all(signal.SIGKILL):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown; also reaps pool processes a dead worker left behind."""
        if self.process is None or not self._signal_all(signal.SIGTERM):
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
