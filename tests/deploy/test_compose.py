"""docker/docker-compose.yml and docker/.env.example, checked without a Docker engine.

No Docker engine runs on the build machine: the file is parsed as YAML (with
its anchors and merges resolved, as Compose does) and its structure asserted.
"""

import re
from pathlib import Path

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
LONG_RUNNING = {"postgres", "redis", "web", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_compose_names_every_service(compose):
    assert set(compose["services"]) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
    }


@pytest.mark.parametrize("service", sorted(LONG_RUNNING))
def test_every_long_running_service_has_a_health_check(compose, service):
    check = compose["services"][service]["healthcheck"]

    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(check["test"]) >= 2
    assert check["interval"] and check["retries"] >= 3


def test_health_checks_probe_what_each_service_does(compose):
    services = compose["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    assert "shipshape-worker-heartbeat" in " ".join(
        services["worker"]["healthcheck"]["test"]
    )
    assert "celerybeat-schedule" in " ".join(services["beat"]["healthcheck"]["test"])


def test_migration_runs_once_and_web_waits_for_it(compose):
    services = compose["services"]
    migrate = services["migrate"]

    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["environment"]["DB_STATEMENT_TIMEOUT_MS"] == "0"
    for name in ("web", "worker", "beat"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["postgres"]["condition"] == "service_healthy"
        assert needs["redis"]["condition"] == "service_healthy"


def test_data_lives_on_named_volumes(compose):
    services = compose["services"]

    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_app_containers_are_locked_down_and_read_secrets_from_the_env_file(compose):
    for name in ("migrate", "web", "worker", "beat"):
        service = compose["services"][name]
        assert service["env_file"] == [".env"]
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]
        assert service["cap_drop"] == ["ALL"]
        assert "REDIS_URL" in service["environment"]
        assert service["build"]["dockerfile"] == "docker/Dockerfile"


def test_every_interpolated_variable_is_in_the_example(compose, env_example):
    text = (DOCKER / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z_]+)", text))
    optional = {"SHIPSHAPE_VERSION", "SHIPSHAPE_PORT"}

    assert referenced - optional <= set(env_example)


def test_the_env_example_holds_no_real_secret(env_example):
    secret_like = [
        key
        for key in env_example
        if re.search(r"SECRET|PASSWORD|TOKEN|DSN|KEY", key) and key != "NUM_PROXIES"
    ]

    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "PROBE_SECRET_KEY"} <= set(secret_like)
    for key in secret_like:
        value = env_example[key]
        assert value == "" or value.startswith("change-me"), key
