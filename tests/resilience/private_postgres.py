"""A private PostgreSQL cluster on a free loopback port, started and stopped by a test.

initdb refuses to run as root, so as root the cluster belongs to the `postgres`
user (runuser). The shared server on 5432 is never touched.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.core.private_redis import free_port
from tests.services import IN_CI

BIN = Path("/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    """initdb into a temporary directory; start(), stop() and restart() it."""

    def __init__(self) -> None:
        if not (BIN / "initdb").exists():
            message = f"PostgreSQL server binaries are not installed in {BIN}"
            if IN_CI:
                pytest.fail(f"{message} (CI=true: a missing service is a failure)")
            pytest.skip(message)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="shipshape-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            [str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8"]
        )  # fmt: skip

    def _run(self, command: list[str]) -> None:
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            [str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-l", str(self.dir / "log"), "-w", "start"]
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self._run(
            [str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
        )

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
