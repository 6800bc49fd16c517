"""Targets that misbehave, probed through a whole run (not only the probe kind).

A server that accepts and never answers, one that trickles a byte every half
second and one that sends an endless body: the run still finishes within its
probes' timeouts, and each result says what happened.
"""

import time

import pytest

from apps.probes import services as probes
from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import LoopbackHTTPServer, SilentServer


@pytest.fixture
def hostile():
    server = LoopbackHTTPServer(ROUTES, None).start()
    silent = SilentServer()
    yield f"http://127.0.0.1:{server.port}", silent.port
    server.shutdown()


def test_hanging_trickling_and_endless_targets_end_at_their_caps_and_say_why(
    release, lead, hostile, django_capture_on_commit_callbacks
):
    base, silent_port = hostile
    targets = {
        "hangs": f"{base}/hang",
        "trickles": f"{base}/drip",
        "silent": f"http://127.0.0.1:{silent_port}/",
        "endless": f"{base}/endless",
    }
    for name, target in targets.items():
        probes.probe_config_save(
            environment=release.environment,
            by=lead,
            name=name,
            kind="http",
            target=target,
            timeout=1,
        )

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        run = probes.probe_run_start(release=release, by=lead)
    took = time.monotonic() - started

    run.refresh_from_db()
    assert run.finished and run.status == "failed"
    results = {r.name: r for r in run.results.all()}
    assert set(results) == set(targets)
    for name in ("hangs", "trickles", "silent"):
        assert results[name].status == "fail", name
        assert "deadline of 1 s exceeded" in results[name].summary, name
        # Cut at the 1 s deadline, with slack for a loaded machine.
        assert results[name].duration_ms < 2000, name
    # An endless body is read up to the 1 MiB cap, then the probe stops reading.
    assert results["endless"].status == "fail"
    assert "exceeded the 1 MiB cap" in results["endless"].summary
    assert results["endless"].observed["body_truncated"] is True
    assert results["endless"].observed["body_bytes"] == 1024 * 1024
    assert took < 5  # probes run side by side; none outlives its timeout
