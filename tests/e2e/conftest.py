"""End-to-end tests: the browser fixtures live in tests/browser.py."""

# The loopback probe target and real Celery workers of the probe-run tests.
from tests.probes.conftest import (  # noqa: F401
    celery_broker,
    start_worker,
    target_url,
)
