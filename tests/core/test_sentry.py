"""Sentry: errors are sent when SENTRY_DSN is set, and nothing exists when it is not.

The Sentry server is a loopback HTTP server that records what arrives, in the
real envelope format the SDK posts.
"""

import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django, sentry_sdk
django.setup()
print("active" if sentry_sdk.get_client().is_active() else "inactive")
try:
    1 / 0
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(5)
"""


@pytest.fixture
def sentry_server():
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()


def _run(env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_error_is_sent_to_sentry_when_a_dsn_is_set(sentry_server):
    port, received = sentry_server

    output = _run({"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42"})

    assert output == "active"
    envelope = b"".join(received)
    assert b"ZeroDivisionError" in envelope
    assert b'"environment":"production"' in envelope


def test_nothing_is_set_up_without_a_dsn(sentry_server):
    port, received = sentry_server

    output = _run({"SENTRY_DSN": ""})

    assert output == "inactive"
    assert received == []
