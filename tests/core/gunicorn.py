"""Start the app under a real gunicorn for a test, and stop it.

Several suites need what Django's test client cannot give: a WSGI server's
framing, the image's gunicorn configuration, worker processes. `started()`
runs gunicorn with the given arguments and returns once `up()` answers,
failing the test with gunicorn's own error output if it never does.
"""

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The image's command (docker/Dockerfile, k8s/web.yaml).
IMAGE_ARGS = ("--config", "docker/gunicorn.conf.py", "config.wsgi")


def env_for_test_database(database: dict, name: str, **extra: str) -> dict:
    """The environment of a gunicorn serving the test database (`database`:
    Django's settings of it) with DEBUG off, no Redis, on 127.0.0.1."""
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": f"{name}-test-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


def health(port: int) -> Callable[[], None]:
    """An `up` for started(): /health/ answers on 127.0.0.1:port."""

    def up() -> None:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        probe.request("GET", "/health/")
        probe.getresponse().read()

    return up


@contextmanager
def started(
    env: dict, args: tuple[str, ...], up: Callable[[], object], seconds: float = 30
) -> Iterator[subprocess.Popen]:
    """gunicorn `args` in the checkout with `env`, once `up()` stops raising
    OSError; terminated afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + seconds
    while True:
        try:
            up()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read()!r}")
            time.sleep(0.2)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
