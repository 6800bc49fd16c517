"""Every path that runs a probe configuration runs it through probe_config_execute.

A run's batch, *Test this probe*, a scheduled check and a verification window
each run an http probe with a secret set aside for probes against a real
loopback server that records every request: the server sees the bearer token,
the path's stored answer shows none of it, and probe_config_execute saw the
configuration. A refused or unset variable is an `error` that says why, and
nothing reaches the server. Verification windows, which ran the kind directly,
now keep to the per-host cap and send a DSN probe's secret as its password; the
DSN server is a loopback TCP listener that records the bytes it receives.
"""

import socket
import threading
import time

import pytest

from apps.monitoring import services as monitoring
from apps.policy import verification
from apps.probes import secrets, services
from apps.probes.kinds import Result
from apps.probes.models import ProbeConfig
from apps.releases import services as release_services
from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import LoopbackHTTPServer

PROBE_TOKEN = "probe-token-set-aside-5e1f"
SERVER_SECRET = "the-servers-own-secret-90aa"
TOKEN_ENV = "SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN"


@pytest.fixture
def target():
    server = LoopbackHTTPServer(ROUTES, None).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def probe_env(monkeypatch, settings):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv(TOKEN_ENV, PROBE_TOKEN)
    monkeypatch.setenv("SECRET_KEY", SERVER_SECRET)
    monkeypatch.delenv("SHIPSHAPE_PROBE_SECRET_MISSING", raising=False)


@pytest.fixture
def executed(monkeypatch):
    """The ids of the configurations probe_config_execute ran, in any thread."""
    seen: list[int] = []
    real = services.probe_config_execute

    def spy(config, **kwargs):
        seen.append(config.pk)
        return real(config, **kwargs)

    monkeypatch.setattr(services, "probe_config_execute", spy)
    return seen


@pytest.fixture
def deployed(release, lead):
    return release_services.release_transition(
        release=release,
        target="deployed",
        by=lead,
        override=True,
        reason="Probe execution test",
    )


def _config(environment, target, secret_env: str = TOKEN_ENV) -> ProbeConfig:
    # Written past the service, as a row saved before the secret rule would be.
    return ProbeConfig.objects.create(
        environment=environment,
        name="Shop API",
        kind="http",
        target=f"http://127.0.0.1:{target.port}/echo",
        secret_env=secret_env,
        timeout=3,
    )


def _by_batch(release, lead, engineer, config, capture) -> tuple[str, str]:
    with capture(execute=True):
        run = services.probe_run_start(release=release, by=lead)
    result = run.results.get(config=config)
    return result.status, result.summary + str(result.observed)


def _by_test_button(release, lead, engineer, config, capture) -> tuple[str, str]:
    result = services.probe_test_config(config=config, by=engineer)
    return result.status, result.summary + str(result.observed)


def _by_schedule(release, lead, engineer, config, capture) -> tuple[str, str]:
    schedule = monitoring.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=5
    )
    check = monitoring.environment_check_run(
        schedule_id=schedule.pk, scheduled_for="2026-11-01T10:00:00+00:00"
    )
    return check.status, check.summary + str(check.observed)


def _by_verification(release, lead, engineer, config, capture) -> tuple[str, str]:
    release = release_services.release_transition(
        release=release, target="deployed", by=lead, override=True, reason="Test"
    )
    window = verification.verification_window_start(
        release=release, by=lead, configs=[config], duration_seconds=60
    )
    verification.verification_tick(window_id=window.pk, schedule=False)
    sample = window.samples.get()
    return sample.status, sample.summary + str(sample.observed)


CALLERS = pytest.mark.parametrize(
    "run_it",
    [_by_batch, _by_test_button, _by_schedule, _by_verification],
    ids=["probe batch", "test this probe", "schedule", "verification window"],
)


@CALLERS
def test_every_path_runs_the_configuration_through_probe_config_execute(
    run_it,
    release,
    lead,
    engineer,
    target,
    probe_env,
    executed,
    django_capture_on_commit_callbacks,
):
    config = _config(release.environment, target)

    status, shown = run_it(
        release, lead, engineer, config, django_capture_on_commit_callbacks
    )

    assert status == "pass", shown
    assert executed == [config.pk]
    assert len(target.requests) == 1
    method, path, headers = target.requests[0]
    assert (method, path) == ("GET", "/echo")
    assert headers["authorization"] == f"Bearer {PROBE_TOKEN}"
    assert PROBE_TOKEN not in shown


@CALLERS
@pytest.mark.parametrize(
    ("secret_env", "why"),
    [
        (
            "SECRET_KEY",
            "secret refused, nothing was sent: SECRET_KEY is not set aside for "
            "probe secrets: use a variable whose name starts with "
            "SHIPSHAPE_PROBE_SECRET_, or one the operator lists in "
            "PROBE_SECRET_ENV_ALLOWED.",
        ),
        (
            "SHIPSHAPE_PROBE_SECRET_MISSING",
            "the environment variable SHIPSHAPE_PROBE_SECRET_MISSING is not set "
            "on this worker",
        ),
    ],
    ids=["server variable", "unset variable"],
)
def test_a_refused_or_unset_secret_is_an_error_that_says_why_and_sends_nothing(
    run_it,
    secret_env,
    why,
    release,
    lead,
    engineer,
    target,
    probe_env,
    executed,
    django_capture_on_commit_callbacks,
):
    config = _config(release.environment, target, secret_env=secret_env)

    status, shown = run_it(
        release, lead, engineer, config, django_capture_on_commit_callbacks
    )

    assert status == "error"
    assert shown == why + "{}"
    assert executed == [config.pk]
    assert target.requests == []
    assert SERVER_SECRET not in shown


def test_probe_config_execute_returns_the_refusal_as_an_error_result(
    environment, target, probe_env
):
    config = _config(environment, target, secret_env="SECRET_KEY")

    result = services.probe_config_execute(config)

    assert result == Result(
        "error",
        "secret refused, nothing was sent: SECRET_KEY is not set aside for probe "
        "secrets: use a variable whose name starts with SHIPSHAPE_PROBE_SECRET_, "
        "or one the operator lists in PROBE_SECRET_ENV_ALLOWED.",
        {},
        0.0,
    )
    assert target.requests == []


def test_result_error_builds_an_error_with_nothing_measured():
    assert Result.error("bad option") == Result("error", "bad option", {}, 0.0)


def test_result_error_keeps_what_it_is_given_as_its_own_copy():
    observed = {"deadline_s": 5}

    result = Result.error("gave up", observed, duration_ms=5000.0)
    observed["deadline_s"] = 9

    assert (result.status, result.summary) == ("error", "gave up")
    assert result.observed == {"deadline_s": 5}
    assert result.duration_ms == 5000.0
    assert result.to_dict("http", "http://u:pw@shop.test/") == {
        "kind": "http",
        "target": "http://u:***@shop.test/",
        "status": "error",
        "summary": "gave up",
        "observed": {"deadline_s": 5},
        "duration_ms": 5000.0,
    }


class _Arrivals(LoopbackHTTPServer):
    """Records when each request arrived (time.monotonic())."""

    def __init__(self) -> None:
        self.arrived: list[float] = []
        super().__init__({"/health": self._health}, None)

    def _health(self, handler) -> None:
        self.arrived.append(time.monotonic())
        handler.reply(200, b"ok")


def test_a_verification_window_waits_its_turn_under_the_per_host_cap(
    deployed, lead, probe_env, settings
):
    settings.PROBE_MAX_CONCURRENT_PER_TARGET = 1
    services._target_slots.clear()
    server = _Arrivals().start()
    url = f"http://127.0.0.1:{server.port}/health"
    config = ProbeConfig.objects.create(
        environment=deployed.environment, name="Health", kind="http", target=url
    )
    window = verification.verification_window_start(
        release=deployed, by=lead, configs=[config], duration_seconds=60
    )
    # Another probe of the host holds its one slot for 0.4 s.
    slot = services._target_slot(url)
    slot.acquire()
    freed: list[float] = []

    def free() -> None:
        freed.append(time.monotonic())
        slot.release()

    threading.Timer(0.4, free).start()
    try:
        window = verification.verification_tick(window_id=window.pk, schedule=False)
    finally:
        server.shutdown()
        server.server_close()
        services._target_slots.clear()

    assert window.samples.get().status == "pass"
    assert len(server.arrived) == 1
    assert freed, "the window's probe ran while another held the host's one slot"
    assert server.arrived[0] >= freed[0]


class _RecordingTCP:
    """A loopback listener that keeps what each connection sends, then hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.received += connection.recv(4096)
                    connection.sendall(b"-ERR not a real server\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_a_verification_window_sends_a_dsn_probes_secret_as_its_password(
    deployed, lead, probe_env
):
    password = "dsn-password-set-aside-3b7c"
    config = ProbeConfig.objects.create(
        environment=deployed.environment,
        name="Cache",
        kind="http",
        target="http://127.0.0.1:9/",
        secret_encrypted=secrets.encrypt(password),
        timeout=2,
    )
    window = verification.verification_window_start(
        release=deployed, by=lead, configs=[config], duration_seconds=60
    )
    listener = _RecordingTCP()
    # The window's probe became a Redis probe after the window started.
    ProbeConfig.objects.filter(pk=config.pk).update(
        kind="redis", target=f"redis://probe@127.0.0.1:{listener.port}/0"
    )
    try:
        window = verification.verification_tick(window_id=window.pk, schedule=False)
    finally:
        listener.close()

    sample = window.samples.get()
    assert b"AUTH" in listener.received
    assert password.encode() in listener.received
    assert sample.status == "fail"
    assert password not in sample.summary + str(sample.observed)
