"""Fixtures of the resilience suite: private peers the tests may stop, and clients.

A test that stops Redis or PostgreSQL stops its own private instance (a free
port, a temporary directory), never the shared services on 5432 and 6379.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from tests.core.private_redis import PrivateRedis
from tests.probes.conftest import target_url, use_broker  # noqa: F401 (fixture)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_everywhere(settings, private_redis):
    """Cache and broker on the private Redis, as REDIS_URL would configure them."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
            # Try Redis again on every call, so recovery shows at once.
            "RETRY_AFTER_SECONDS": 0,
        }
    }
    settings.CELERY_BROKER_URL = private_redis.url
    use_broker(private_redis.url, eager=False)
    yield private_redis
    use_broker("memory://", eager=True)
    caches.close_all()


# A probe of slow_target takes this long: long enough to stop a peer under it.
PROBE_SECONDS = 3.0


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(PROBE_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_target():
    """A loopback HTTP target that answers 200 after PROBE_SECONDS."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
