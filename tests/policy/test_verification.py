"""Post-deploy verification windows against real loopback servers.

The service under test is a real HTTP server on 127.0.0.1 whose latency the
test raises in the middle of the window. Prometheus is a loopback server that
speaks its HTTP API (`/api/v1/query`, the JSON instant-query answer), not a
real Prometheus: Debian's package is not installed on this machine.
"""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.policy import verification
from apps.policy.models import VerificationSample, VerificationWindow
from apps.releases import services as release_services
from tests.policy.conftest import probe_config
from tests.probes.kinds.servers import LoopbackHTTPServer

pytestmark = pytest.mark.django_db

# A window that must pass lasts a few seconds: on a loaded CI machine one
# measurement took up to 0.4 s, and a 1 s window then ended with 2 of 3 needed.
INTERVAL = 0.15


class Latency:
    """The served application: answers /health after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.prometheus_value: str | None = "0.0004"

    def health(self, handler) -> None:
        time.sleep(self.delay)
        handler.reply(200, b"ok")

    def query(self, handler) -> None:
        result = (
            []
            if self.prometheus_value is None
            else [{"metric": {}, "value": [time.time(), self.prometheus_value]}]
        )
        body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        handler.reply(200, json.dumps(body).encode(), content_type="application/json")


@pytest.fixture
def app():
    state = Latency()
    server = LoopbackHTTPServer(
        {"/health": state.health, "/api/v1/query": state.query}, None
    ).start()
    state.base = f"http://127.0.0.1:{server.port}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def deployed(release, lead, settings):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return release_services.release_transition(
        release=release,
        target="deployed",
        by=lead,
        override=True,
        reason="Verification test",
    )


def _drive(window: VerificationWindow, on_measurement=None) -> VerificationWindow:
    """Take measurements as the task chain would, every interval, until decided."""
    deadline = time.monotonic() + window.duration_seconds + 5
    while window.running and time.monotonic() < deadline:
        window = verification.verification_tick(window_id=window.pk, schedule=False)
        if on_measurement:
            on_measurement(window)
        time.sleep(window.interval_seconds)
    return window


def _http(environment, app, **options):
    # 400 ms: a loopback answer took 153 ms under a load average of 10 on the
    # 2 cores, so a healthy answer stays well under it; the slowed-down
    # answers (600 ms) stay well over it.
    return probe_config(
        environment,
        "Health latency",
        target=f"{app.base}/health",
        timeout=3,
        options={"max_latency_ms": "400", **options},
    )


def test_a_healthy_service_passes_its_window(deployed, environment, app, lead):
    config = _http(environment, app)
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=3.0,
        failure_limit=0,
        consecutive_successes=3,
    )

    window = _drive(window)

    assert window.outcome == "passed", window.summary
    assert window.failures == 0
    assert window.measurements >= 3
    assert window.summary.startswith("Passed:")
    assert VerificationSample.objects.filter(window=window).count() == (
        window.measurements
    )
    assert AuditEvent.objects.filter(action="verification.passed").count() == 1


def test_latency_raised_mid_window_fails_it_early_and_points_at_the_rollback(
    deployed, environment, app, lead
):
    config = _http(environment, app)
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=3.0,
        failure_limit=1,
        consecutive_successes=2,
    )

    def slow_down(w: VerificationWindow) -> None:
        if w.measurements == 3:
            app.delay = 0.6

    window = _drive(window, slow_down)

    assert window.outcome == "failed"
    assert window.successes == 3
    assert window.failures == 2
    assert window.finished_at < window.ends_at  # decided at the limit, not the end
    assert "more than 1 failed" in window.summary
    slow = VerificationSample.objects.filter(window=window, verdict="failure").first()
    assert slow.status == "warn"
    assert "exceeds 400 ms" in slow.summary
    event = AuditEvent.objects.get(action="verification.failed")
    assert event.release_id == deployed.pk
    plan = verification.rollback_plan(deployed)
    assert plan and all(step["text"] for step in plan)


def test_too_few_successes_at_the_end_is_inconclusive(deployed, environment, app, lead):
    config = _http(environment, app)
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=1.2,
        failure_limit=20,
        consecutive_successes=3,
    )

    def slow_down(w: VerificationWindow) -> None:
        if w.measurements == 2:
            app.delay = 0.6

    window = _drive(window, slow_down)

    assert window.outcome == "inconclusive"
    assert window.failures >= 1
    assert window.streak == 0
    assert "A person must decide" in window.summary


def test_an_empty_prometheus_answer_is_no_data_and_inconclusive(
    deployed, environment, app, lead
):
    app.prometheus_value = None
    config = probe_config(
        environment,
        "Error rate",
        kind="prometheus",
        target=app.base,
        timeout=3,
        options={"query": "sum(rate(errors[5m]))", "threshold": "0.001"},
    )
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=0.6,
        failure_limit=0,
        consecutive_successes=2,
    )

    window = _drive(window)

    assert window.outcome == "inconclusive"
    assert window.failures == 0
    assert window.no_data == window.measurements


def test_a_prometheus_error_rate_under_its_threshold_passes(
    deployed, environment, app, lead
):
    config = probe_config(
        environment,
        "Error rate",
        kind="prometheus",
        target=app.base,
        timeout=3,
        options={"query": "sum(rate(errors[5m]))", "threshold": "0.001"},
    )
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=2.0,
        failure_limit=0,
        consecutive_successes=2,
    )

    assert _drive(window).outcome == "passed"


def test_the_task_takes_the_first_measurement_and_a_redelivery_counts_nothing(
    deployed, environment, app, lead, django_capture_on_commit_callbacks
):
    config = _http(environment, app)
    with django_capture_on_commit_callbacks(execute=True):
        window = verification.verification_window_start(
            release=deployed,
            by=lead,
            configs=[config],
            interval_seconds=30,
            duration_seconds=600,
        )
    window.refresh_from_db()
    assert window.measurements == 1

    verification.verification_tick(window_id=window.pk)  # redelivered too early

    window.refresh_from_db()
    assert window.measurements == 1


def test_a_lead_decides_an_inconclusive_window(deployed, lead):
    window = VerificationWindow.objects.create(
        release=deployed,
        config_ids=[],
        interval_seconds=1,
        duration_seconds=1,
        outcome="inconclusive",
        started_at=timezone.now(),
        ends_at=timezone.now() + timedelta(seconds=1),
    )

    window = verification.verification_window_decide(
        window=window, outcome="failed", note="Error budget burnt", by=lead
    )

    assert window.outcome == "failed"
    assert AuditEvent.objects.filter(action="verification.decided").count() == 1


def test_a_release_not_deployed_cannot_be_verified(release, environment, app, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="after it is deployed"):
        verification.verification_window_start(
            release=release, by=lead, configs=[_http(environment, app)]
        )


def test_a_window_whose_chain_broke_is_resumed_by_the_beat_task(
    deployed, environment, app, lead
):
    from apps.policy import tasks

    config = _http(environment, app)
    window = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=0.1,
        duration_seconds=60,
    )
    VerificationWindow.objects.filter(pk=window.pk).update(
        started_at=timezone.now() - timedelta(seconds=30)
    )

    assert tasks.resume_verification_windows.delay().get() == 1

    window.refresh_from_db()
    assert window.measurements == 1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_drives_the_window_by_countdown_until_it_fails(
    environment, template, lead, app, start_worker, settings
):
    from apps.releases.models import Release
    from tests.probes.conftest import wait_for

    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    release = release_services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="9.9.9",
        by=lead,
    )
    release = release_services.release_transition(
        release=release, target="deployed", by=lead, override=True, reason="test"
    )
    # A real worker on a busy 2-core machine (the suite runs on two pytest
    # workers) can take a few hundred ms over its first requests: healthy means
    # under 1 s here, and "slow" is well past it.
    config = _http(environment, app, max_latency_ms="1000")
    start_worker(["celery"])
    window = verification.verification_window_start(
        release=release,
        by=lead,
        configs=[config],
        interval_seconds=0.3,
        duration_seconds=20,
        failure_limit=1,
        consecutive_successes=2,
    )
    wait_for(
        lambda: VerificationWindow.objects.get(pk=window.pk).successes >= 3,
        timeout=30,
    )
    app.delay = 1.5

    window = wait_for(
        lambda: VerificationWindow.objects.filter(
            pk=window.pk, finished_at__isnull=False
        ).first(),
        timeout=30,
    )

    assert window.outcome == "failed"
    assert window.failures == 2
    assert Release.objects.get(pk=release.pk).status == "deployed"
    assert AuditEvent.objects.filter(
        action="verification.failed", release_id=release.pk
    ).exists()


def test_a_window_slower_than_the_previous_release_s_is_flagged_a_regression(
    deployed, environment, template, app, lead
):
    # The slow release answers 0.8 s later: a fast answer stays under 400 ms
    # even on a loaded machine (see `_http`; CI once saw 123 ms), so the
    # slowdown is at least double and never lost in the machine's noise.
    config = _http(environment, app, max_latency_ms="2500")
    first = verification.verification_window_start(
        release=deployed,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=0.45,
        consecutive_successes=1,
    )
    first = _drive(first)
    later = release_services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.0.1",
        by=lead,
    )
    later = release_services.release_transition(
        release=later, target="deployed", by=lead, override=True, reason="test"
    )
    app.delay = 0.8
    second = verification.verification_window_start(
        release=later,
        by=lead,
        configs=[config],
        interval_seconds=INTERVAL,
        duration_seconds=0.45,
        consecutive_successes=1,
        regression_percent=50,
    )

    second = _drive(second)

    assert first.outcome == second.outcome == "passed"
    assert first.p95_ms < 400 and second.p95_ms >= 800
    assert second.regression is True
    assert "regression:" in second.summary
    assert first.regression is False
