"""A deploy pipeline over the documented API, end to end, against loopback peers.

It creates a release, configures and triggers a probe run against a real
loopback HTTP server, waits for the run, and asks the gate; Celery runs eagerly.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.releases.models import Release
from tests.api.conftest import make_ready

pytestmark = pytest.mark.django_db


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def health_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/health"
    server.shutdown()


def test_a_pipeline_creates_probes_waits_and_passes_the_gate(
    client_for,
    lead,
    environment,
    template,
    health_url,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    api = client_for(lead)

    created = api.post(
        "/api/v1/releases/",
        {
            "service": environment.service_id,
            "environment": environment.pk,
            "version": "4.0.0",
        },
        format="json",
    )
    release_id = created.json()["id"]
    probe = api.post(
        "/api/v1/probe-configs/",
        {
            "environment": environment.pk,
            "name": "health",
            "kind": "http",
            "target": health_url,
            "secret": "not-shown",
        },
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            "/api/v1/probe-runs/", {"release": release_id}, format="json"
        )
    run = api.get(f"/api/v1/probe-runs/{started.json()['id']}/").json()
    before = api.get(f"/api/v1/releases/{release_id}/readiness/").json()

    assert created.status_code == 201
    assert probe.status_code == 201
    assert probe.json()["has_secret"] is True
    assert "not-shown" not in probe.content.decode()
    assert started.status_code == 201
    assert run["finished"] is True
    assert [(r["name"], r["status"]) for r in run["results"]] == [("health", "pass")]
    assert before["ready"] is False

    make_ready(Release.objects.get(pk=release_id), lead)
    after = api.get(f"/api/v1/releases/{release_id}/readiness/").json()
    assert after == {
        "ready": True,
        "score": 100,
        "blockers": [],
        "warnings": [],
        "waivers": [],
        "freeze": None,
        "override": None,
    }
