"""Start the app under a real gunicorn for a test, and stop it.

Several suites need what Django's test client cannot give: a WSGI server's
framing, the image's gunicorn configuration, worker processes. `started()`
runs gunicorn with the given arguments and returns once `up()` answers,
failing the test with gunicorn's own error output if it never does.
"""

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
