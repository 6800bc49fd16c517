"""docker/Dockerfile: its recipe, in step with docs/operations.md and the manifests.

No Docker engine runs here, so the image is not built. What can run is run:
the Dockerfile's own commands (collectstatic with DEBUG off, gunicorn with
docker/gunicorn.conf.py) execute against this checkout.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.core import gunicorn
from tests.core.private_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    pairs = []
    for line in joined.splitlines():
        if line.strip() and not line.startswith("#"):
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _run_commands() -> list[str]:
    """The RUN lines that are the app's own commands (pip and manage.py)."""
    commands = []
    for word, rest in _instructions():
        if word == "RUN" and ("pip install" in rest or "manage.py" in rest):
            command = re.sub(r"^(\w+=\S+\s+)+", "", rest)
            commands.append(" ".join(shlex.split(command)))
    return commands


def _cmd() -> str:
    [cmd] = [rest for word, rest in _instructions() if word == "CMD"]
    return " ".join(json.loads(cmd))


def _readme_deploy_commands() -> set[str]:
    readme = (ROOT / "docs" / "operations.md").read_text()
    section = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    lines = set()
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.add(" ".join(shlex.split(line)))
    return lines


def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user():
    stages = [rest for word, rest in _instructions() if word == "FROM"]
    users = [rest for word, rest in _instructions() if word == "USER"]

    assert len(stages) == 2
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE
    assert stages[1].startswith("${PYTHON_IMAGE} AS runtime")
    assert users == ["10001:10001"]
    assert "COPY --from=build /opt/venv /opt/venv" in DOCKERFILE


def test_dependencies_come_from_the_lock_and_static_files_are_collected():
    assert _run_commands() == [
        "pip install --no-cache-dir --constraint requirements.lock .",
        "python manage.py collectstatic --noinput",
    ]


def test_gunicorn_is_the_entry_point_and_the_health_check_calls_health():
    healthcheck = [rest for word, rest in _instructions() if word == "HEALTHCHECK"]

    assert _cmd() == "gunicorn --config docker/gunicorn.conf.py config.wsgi"
    assert len(healthcheck) == 1
    assert "http://127.0.0.1:8000/health/" in healthcheck[0]


def test_readme_shows_the_same_commands_as_the_image_compose_and_kubernetes():
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
    manifests = [
        doc
        for path in sorted((ROOT / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    k8s_commands = {
        " ".join(container["command"])
        for doc in manifests
        if doc["kind"] in {"Deployment", "Job"}
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    compose_commands = {
        " ".join(service["command"])
        for name, service in compose["services"].items()
        if name in {"migrate", "web", "worker", "beat"}
    }
    image_commands = {*_run_commands(), _cmd()}

    assert compose_commands == k8s_commands
    assert image_commands | compose_commands <= _readme_deploy_commands()


def test_collectstatic_with_debug_off_builds_the_manifest(tmp_path):
    """The build stage's command, run here into a scratch STATIC_ROOT copy."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "build-time-only-collectstatic-key-not-a-secret",
    }
    code = (
        "import sys, django; from django.conf import settings;"
        f"import config.settings as s; s.STATIC_ROOT = {str(tmp_path)!r};"
        "django.setup();"
        "from django.core.management import call_command;"
        "call_command('collectstatic', '--noinput', verbosity=0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    assert "vendor/htmx.min.js" in manifest["paths"]
    assert "js/app.js" in manifest["paths"]


@pytest.fixture
def gunicorn_server(tmp_path):
    """The image's entry point with its own config, bound to loopback only."""
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        # Command-line settings override the config file's bind 0.0.0.0.
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
    }
    base = f"http://127.0.0.1:{port}"
    with gunicorn.started(
        env,
        gunicorn.IMAGE_ARGS,
        lambda: urllib.request.urlopen(f"{base}/health/", timeout=1),
    ):
        yield base


def test_gunicorn_config_serves_and_sums_metrics_across_its_workers(gunicorn_server):
    for _ in range(40):
        with urllib.request.urlopen(f"{gunicorn_server}/health/", timeout=5) as reply:
            assert reply.status == 200

    with urllib.request.urlopen(f"{gunicorn_server}/metrics", timeout=10) as reply:
        text = reply.read().decode()

    series = 'shipshape_http_requests_total{method="GET",status="200",view="health"}'
    [line] = [line for line in text.splitlines() if line.startswith(series)]
    # 40 here plus the start-up poll's (at least 1), summed over the workers.
    assert float(line.split()[-1]) >= 41


def test_the_build_context_sends_only_what_the_image_copies():
    ignore = (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set()
    for word, rest in _instructions():
        if word == "COPY" and not rest.startswith("--from"):
            copied.update(rest.split()[:-1])

    assert ignore[1] == "**"
    assert copied == allowed
