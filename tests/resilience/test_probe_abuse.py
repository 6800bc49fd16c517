"""Shipshape cannot be turned into a load generator against someone's server.

- per target: at most PROBE_MAX_CONCURRENT_PER_TARGET probes of one host run
  at once in a worker process, however many probes and runs point at it;
- per environment: at most MAX_CONFIGS_PER_ENVIRONMENT probe configurations;
- the schedules' minimum interval is tests/monitoring/test_schedules.py's.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from apps.probes import services as probes
from apps.probes.models import ProbeConfig


class _Counting(BaseHTTPRequestHandler):
    """Answers after 0.3 s and records how many requests were in flight at once."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.server
        with server.lock:
            server.now += 1
            server.peak = max(server.peak, server.now)
        time.sleep(0.3)
        with server.lock:
            server.now -= 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def counting_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    server.daemon_threads = True
    server.lock, server.now, server.peak = threading.Lock(), 0, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_probes_of_one_host_never_exceed_the_per_target_cap(
    release, lead, counting_server, settings, django_capture_on_commit_callbacks
):
    settings.PROBE_MAX_CONCURRENT_PER_TARGET = 3
    probes._target_slots.clear()
    url = f"http://127.0.0.1:{counting_server.server_port}"
    for n in range(12):
        probes.probe_config_save(
            environment=release.environment,
            by=lead,
            name=f"p{n}",
            kind="http",
            target=f"{url}/p{n}",
            timeout=5,
        )

    with django_capture_on_commit_callbacks(execute=True):
        run = probes.probe_run_start(release=release, by=lead)

    run.refresh_from_db()
    assert run.finished and run.results.count() == 12
    assert counting_server.peak == 3
    assert {r.status for r in run.results.all()} <= {"pass", "warn"}
    probes._target_slots.clear()


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("https://Shop.Example.com:8443/health", "shop.example.com"),
        ("postgres://u:p@db.internal:5432/app", "db.internal"),
        ("redis://[::1]:6379/0", "::1"),
        ("example.com:443", "example.com"),
    ],
)
def test_the_cap_counts_by_host_whatever_the_scheme_port_or_case(target, host):
    assert probes.target_host(target) == host


def test_an_environment_cannot_have_more_probes_than_its_quota(
    release, lead, monkeypatch
):
    monkeypatch.setattr(probes, "MAX_CONFIGS_PER_ENVIRONMENT", 3)
    for n in range(3):
        probes.probe_config_save(
            environment=release.environment,
            by=lead,
            name=f"p{n}",
            kind="http",
            target="http://127.0.0.1:9/",
        )

    with pytest.raises(ValidationError, match="at most 3 probes"):
        probes.probe_config_save(
            environment=release.environment,
            by=lead,
            name="one too many",
            kind="http",
            target="http://127.0.0.1:9/",
        )
    assert ProbeConfig.objects.filter(environment=release.environment).count() == 3


def test_a_team_cannot_have_more_probes_than_its_quota(release, lead, monkeypatch):
    from tests import factories

    monkeypatch.setattr(probes, "MAX_CONFIGS_PER_TEAM", 4)
    other = factories.EnvironmentFactory(service=release.service, name="production")
    for n, environment in enumerate([release.environment, other] * 2):
        probes.probe_config_save(
            environment=environment,
            by=lead,
            name=f"p{n}",
            kind="http",
            target="http://127.0.0.1:9/",
        )

    with pytest.raises(ValidationError, match="A team may have at most 4 probes"):
        probes.probe_config_save(
            environment=other,
            by=lead,
            name="one too many",
            kind="http",
            target="http://127.0.0.1:9/",
        )
    assert ProbeConfig.objects.count() == 4
