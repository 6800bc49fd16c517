"""Each pytest-xdist worker gets its own Redis database.

`make test` runs the suite on three workers (`-n 3`). pytest-django already gives
each worker its own test database (``test_<name>_gw0``, ``_gw1``); this plugin
does the same for Redis, so one worker's ``cache.clear()``, throttle budgets and
Celery queues never reach the other's. It is loaded with ``-p tests.parallel``
(pyproject's addopts), before pytest-django imports the settings, because the
settings read ``REDIS_URL`` once.
"""

import os
from urllib.parse import urlsplit, urlunsplit


def worker_redis_url(url: str, worker: str) -> str:
    """The URL with its database number moved by the worker's index.

    gw0 keeps the configured database; gw1, gw2 take the next ones down (or up
    from 0), so CI's ``/15`` becomes ``/15``, ``/14`` and ``/13``.
    """
    if not url or not worker.startswith("gw"):
        return url
    index = int(worker[2:])
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base - index if base - index >= 0 else base + index
    return urlunsplit(parts._replace(path=f"/{db}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
for _name in ("REDIS_URL", "TEST_REDIS_URL"):
    if os.environ.get(_name):
        os.environ[_name] = worker_redis_url(os.environ[_name], _worker)
if _worker and not os.environ.get("REDIS_URL") and not os.environ.get("TEST_REDIS_URL"):
    # tests/services.py falls back to database 0 for the Redis-only tests.
    os.environ["TEST_REDIS_URL"] = worker_redis_url("redis://127.0.0.1:6379/0", _worker)
