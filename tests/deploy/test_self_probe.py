"""Shipshape's own `headers` and `tls` probes pass against Shipshape behind TLS.

The image's entry point (gunicorn with docker/gunicorn.conf.py) serves the app
with DEBUG off over HTTPS on loopback, with a certificate from a trustme CA;
the probes trust that CA through their `ca_file`, as a team's would trust its
own. A scratch settings module only moves STATIC_ROOT into the test's folder,
so collectstatic does not write into the checkout.
"""

import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import trustme

from apps.probes.kinds import run_kind
from tests.core import gunicorn
from tests.core.private_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = ["127.0.0.0/8"]


@pytest.fixture(scope="module")
def https_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("https-app")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    static_root = str(folder / "static")
    (folder / "scratch_settings.py").write_text(
        f"from config.settings import *  # noqa: F403\nSTATIC_ROOT = {static_root!r}\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "scratch_settings",
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "REDIS_URL": "",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        "GUNICORN_CMD_ARGS": (
            f"--bind 127.0.0.1:{port} --certfile {folder / 'server.pem'} "
            f"--keyfile {folder / 'server.pem'}"
        ),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    ssl_context = ssl.create_default_context(cafile=str(folder / "ca.pem"))

    def up() -> None:
        urllib.request.urlopen(
            f"https://localhost:{port}/health/", timeout=1, context=ssl_context
        )

    with gunicorn.started(env, gunicorn.IMAGE_ARGS, up):
        yield {"port": port, "ca_file": str(folder / "ca.pem")}


def test_the_headers_probe_passes_against_the_sign_in_page(https_app):
    result = run_kind(
        "headers",
        f"https://localhost:{https_app['port']}/accounts/login/",
        {},
        timeout=10,
        allow_private=LOOPBACK,
        ca_file=https_app["ca_file"],
    )

    assert result.status == "pass", (result.summary, result.observed)


def test_the_tls_probe_passes_against_the_app(https_app):
    result = run_kind(
        "tls",
        f"localhost:{https_app['port']}",
        {},
        timeout=10,
        allow_private=LOOPBACK,
        ca_file=https_app["ca_file"],
    )

    assert result.status == "pass", (result.summary, result.observed)
