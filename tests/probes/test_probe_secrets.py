"""A probe's secret variable: only ones set aside for probes, sent to its origin only.

A probe's secret travels to the probe's target, which its team chooses. The
server's own variables (SECRET_KEY, DATABASE_URL, PROBE_SECRET_KEY) must never
get there: every path that saves a configuration (service, form, API, policy
file) refuses them, and a run, *Test this probe* and a scheduled check refuse a
row saved before the rule, with `error` and nothing sent; startup refuses an
operator's allowed list naming them. The targets are real loopback servers that
record every request (HTTP) or count every connection (PostgreSQL and Redis).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.monitoring import services as monitoring
from apps.monitoring.models import EnvironmentCheck
from apps.policy import policyfile
from apps.probes import services
from apps.probes.models import ProbeConfig
from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import CountingPort, LoopbackHTTPServer

ROOT = Path(__file__).resolve().parents[2]
SERVER_SECRET = "the-servers-own-secret-4c1d"
PROBE_TOKEN = "probe-token-set-aside-77ab"
REFUSED = "is not set aside for probe secrets"


@pytest.fixture
def server_secrets(monkeypatch):
    """The process's own secrets, as a production web and worker process has them."""
    for name in ("SECRET_KEY", "DATABASE_URL", "PROBE_SECRET_KEY"):
        monkeypatch.setenv(name, SERVER_SECRET)
    monkeypatch.setenv("SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN", PROBE_TOKEN)


def _recording_server():
    server = LoopbackHTTPServer(ROUTES, None).start()
    yield server
    server.shutdown()
    server.server_close()


# A host the lead controls, and a second origin (another port) a redirect may
# lead to; both record every request they receive.
target = pytest.fixture(_recording_server, name="target")
elsewhere = pytest.fixture(_recording_server, name="elsewhere")


def _save(environment, lead, **fields) -> ProbeConfig:
    values = {"name": "Shop API", "kind": "http", "target": "http://127.0.0.1:9/"}
    return services.probe_config_save(
        environment=environment, by=lead, **(values | fields)
    )


def _stored(environment, target, secret_env: str) -> ProbeConfig:
    """A row saved before the rule existed: written directly, past the service."""
    return ProbeConfig.objects.create(
        environment=environment,
        name="Shop API",
        kind="http",
        target=f"http://127.0.0.1:{target.port}/echo",
        secret_env=secret_env,
        timeout=2,
    )


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "PROBE_SECRET_KEY",
        "REDIS_URL",
        "SECRET_KEY_FILE",
        "PATH",
        "SHIPSHAPE_PROBE_SECRET_",
        "shipshape_probe_secret_token",
        "XSHIPSHAPE_PROBE_SECRET_TOKEN",
    ],
)
def test_a_variable_not_set_aside_for_probes_cannot_be_saved(environment, lead, name):
    with pytest.raises(ValidationError) as caught:
        _save(environment, lead, secret_env=name)

    assert caught.value.message_dict["secret_env"] == [
        f"{name} is not set aside for probe secrets: use a variable whose name "
        "starts with SHIPSHAPE_PROBE_SECRET_, or one the operator lists in "
        "PROBE_SECRET_ENV_ALLOWED."
    ]
    assert not ProbeConfig.objects.exists()
    assert not AuditEvent.objects.filter(action="probe_config.created").exists()


def test_an_existing_probe_cannot_be_changed_to_name_a_server_variable(
    environment, lead
):
    config = _save(environment, lead, secret_env="SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN")

    with pytest.raises(ValidationError):
        _save(environment, lead, secret_env="SECRET_KEY", config=config)

    config.refresh_from_db()
    assert config.secret_env == "SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN"


def test_variables_set_aside_by_prefix_or_by_the_operator_are_accepted(
    environment, lead, settings
):
    settings.PROBE_SECRET_ENV_ALLOWED = ["DEPLOY_API_TOKEN"]

    by_prefix = _save(environment, lead, secret_env="SHIPSHAPE_PROBE_SECRET_SHOP")
    listed = _save(environment, lead, name="Deploy", secret_env="DEPLOY_API_TOKEN")

    assert by_prefix.secret_env == "SHIPSHAPE_PROBE_SECRET_SHOP"
    assert listed.secret_env == "DEPLOY_API_TOKEN"


def test_the_form_shows_why_the_variable_is_refused(client, lead, environment):
    client.force_login(lead)

    response = client.post(
        reverse("catalog:probe-new", args=[environment.pk]),
        {
            "name": "Shop API",
            "kind": "http",
            "target": "http://127.0.0.1:9/",
            "timeout": "5",
            "enabled": "on",
            "secret_env": "DATABASE_URL",
        },
    )

    assert response.status_code == 200
    assert f"DATABASE_URL {REFUSED}" in response.text
    assert "SHIPSHAPE_PROBE_SECRET_" in response.text
    assert not ProbeConfig.objects.exists()


def test_the_api_refuses_the_variable_with_a_field_error(lead, environment):
    client = APIClient()
    client.force_login(lead)

    response = client.post(
        "/api/v1/probe-configs/",
        {
            "environment": environment.pk,
            "name": "Shop API",
            "kind": "http",
            "target": "http://127.0.0.1:9/",
            "secret_env": "PROBE_SECRET_KEY",
        },
        format="json",
    )

    assert response.status_code == 400
    assert f"PROBE_SECRET_KEY {REFUSED}" in response.json()["secret_env"][0]
    assert not ProbeConfig.objects.exists()


def test_a_policy_file_naming_a_server_variable_is_refused_whole(
    environment, template, lead
):
    config = _save(environment, lead, secret_env="SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN")
    text = policyfile.policy_export(environment, template)
    hostile = text.replace("SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN", "SECRET_KEY")
    assert hostile != text

    with pytest.raises(policyfile.PolicyFileError) as caught:
        policyfile.policy_import(hostile, by=lead)

    assert any(
        "probe 'Shop API': secret_env: SECRET_KEY " + REFUSED in problem
        for problem in caught.value.problems
    ), caught.value.problems
    config.refresh_from_db()
    assert config.secret_env == "SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN"


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "PROBE_SECRET_KEY"])
def test_a_run_of_a_stored_probe_naming_a_server_variable_sends_nothing(
    release, lead, target, server_secrets, name, django_capture_on_commit_callbacks
):
    _stored(release.environment, target, name)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.probe_run_start(release=release, by=lead)

    result = run.results.get()
    assert result.status == "error"
    assert result.summary == (
        f"secret refused, nothing was sent: {name} {REFUSED}: use a variable "
        "whose name starts with SHIPSHAPE_PROBE_SECRET_, or one the operator "
        "lists in PROBE_SECRET_ENV_ALLOWED."
    )
    assert target.requests == []
    assert SERVER_SECRET not in str(list(run.results.values()))


@pytest.mark.parametrize(
    ("kind", "target_of"),
    [
        ("postgres", lambda port: f"postgres://probe@127.0.0.1:{port}/app"),
        ("redis", lambda port: f"redis://probe@127.0.0.1:{port}/0"),
    ],
)
def test_a_server_variable_never_travels_as_a_dsn_password(
    release, lead, server_secrets, kind, target_of, django_capture_on_commit_callbacks
):
    listener = CountingPort()
    ProbeConfig.objects.create(
        environment=release.environment,
        name="Store",
        kind=kind,
        target=target_of(listener.port),
        secret_env="DATABASE_URL",
        timeout=2,
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = services.probe_run_start(release=release, by=lead)
    finally:
        listener.close()

    assert run.results.get().status == "error"
    assert listener.accepted == 0


def test_test_this_probe_refuses_a_server_variable(
    client, lead, engineer, environment, target, server_secrets
):
    config = _stored(environment, target, "SECRET_KEY")
    client.force_login(engineer)

    response = client.post(
        reverse("catalog:probe-test", args=[config.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert f"SECRET_KEY {REFUSED}" in response.text
    assert SERVER_SECRET not in response.text
    assert target.requests == []


def test_a_scheduled_check_refuses_a_server_variable(
    lead, environment, target, server_secrets
):
    config = _stored(environment, target, "PROBE_SECRET_KEY")
    schedule = monitoring.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=5
    )

    check = monitoring.environment_check_run(
        schedule_id=schedule.pk, scheduled_for="2026-11-01T10:00:00+00:00"
    )

    assert check.status == "error"
    assert f"PROBE_SECRET_KEY {REFUSED}" in check.summary
    assert EnvironmentCheck.objects.get().status == "error"
    assert target.requests == []


@pytest.mark.parametrize(
    ("where", "same_origin"),
    [
        ("http://127.0.0.1:{other}/echo", False),
        ("http://127.1:{own}/echo", False),
        ("http://127.0.0.1:{own}/echo", True),
        ("/echo", True),
    ],
)
def test_a_probe_secret_goes_to_its_own_origin_only(
    release,
    lead,
    target,
    elsewhere,
    server_secrets,
    where,
    same_origin,
    django_capture_on_commit_callbacks,
):
    to = where.format(own=target.port, other=elsewhere.port)
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Shop API",
        kind="http",
        target=f"http://127.0.0.1:{target.port}/redirect-to?url={to}",
        secret_env="SHIPSHAPE_PROBE_SECRET_SHOP_TOKEN",
        timeout=2,
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = services.probe_run_start(release=release, by=lead)

    assert run.results.get().status == "pass", run.results.get().summary
    first, *followed = target.requests + elsewhere.requests
    assert first[1].startswith("/redirect-to")
    assert first[2]["authorization"] == f"Bearer {PROBE_TOKEN}"
    assert len(followed) == 1
    _method, path, headers = followed[0]
    assert path == "/echo"
    if same_origin:
        assert headers["authorization"] == f"Bearer {PROBE_TOKEN}"
    else:
        assert "authorization" not in headers
        assert PROBE_TOKEN not in path + str(headers)


def _check(allowed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PROBE_SECRET_ENV_ALLOWED": allowed}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_operator_cannot_set_aside_a_variable_shipshape_reads_itself():
    refused = _check("DEPLOY_API_TOKEN,DATABASE_URL,SECRET_KEY_FILE")
    accepted = _check("DEPLOY_API_TOKEN")

    assert refused.returncode == 2
    assert refused.stderr == (
        "Configuration error: PROBE_SECRET_ENV_ALLOWED lists DATABASE_URL, "
        "SECRET_KEY_FILE, which Shipshape reads for its own configuration; a "
        "probe would send it to its target. List only variables set aside for "
        "probes.\n"
    )
    assert accepted.returncode == 0, accepted.stderr
