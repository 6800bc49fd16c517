"""`manage.py probe`: the command-line contract, end to end.

Exit codes and the one-line output are checked in real subprocesses; the
remaining cases use call_command. The peers are real loopback servers.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import LoopbackHTTPServer, closed_port

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["kind", "target", "status", "summary", "observed", "duration_ms"]


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = LoopbackHTTPServer(ROUTES, None).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def run_cli(*args: str, allowed: str = "127.0.0.0/8,::1/128", **streams):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROBE_ALLOWED_NETWORKS": allowed,
    }
    streams = streams or {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.run(
        [sys.executable, "manage.py", "probe", *args],
        cwd=ROOT,
        env=env,
        text=True,
        timeout=60,
        **streams,
    )


def one_json_object(stdout: str) -> dict:
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    payload = json.loads(lines[0])
    assert list(payload) == KEYS
    return payload


def test_pass_prints_one_json_object_and_exits_0(web: str) -> None:
    completed = run_cli("http", f"{web}/health", "--json")

    assert completed.returncode == 0
    payload = one_json_object(completed.stdout)
    assert payload["kind"] == "http"
    assert payload["target"] == f"{web}/health"
    assert payload["status"] == "pass"
    assert payload["observed"]["status_code"] == 200
    assert isinstance(payload["observed"]["latency_ms"], float)
    assert isinstance(payload["duration_ms"], float)
    assert completed.stderr == ""


def test_fail_exits_1(web: str) -> None:
    completed = run_cli("http", f"{web}/health503", "--json")

    assert completed.returncode == 1
    assert one_json_object(completed.stdout)["status"] == "fail"


def test_warn_exits_0(web: str) -> None:
    completed = run_cli(
        "http", f"{web}/slow", "--option", "max_latency_ms=10", "--json"
    )

    assert completed.returncode == 0
    assert one_json_object(completed.stdout)["status"] == "warn"


@pytest.mark.parametrize(
    ("args", "summary"),
    [
        (["gopher", "http://127.0.0.1/"], "unknown kind 'gopher'"),
        (["http", "http//missing-colon"], "no scheme"),
        (["http", "http://127.0.0.1:99999/"], "Port out of range 0-65535"),
        (["http", ""], "target is empty"),
        (["http"], "bad arguments: the following arguments are required: target"),
    ],
)
def test_bad_input_is_one_line_error_with_exit_2(args: list[str], summary: str) -> None:
    completed = run_cli(*args, "--json")

    assert completed.returncode == 2
    payload = one_json_object(completed.stdout)
    assert payload["status"] == "error"
    assert summary in payload["summary"]
    assert "Traceback" not in completed.stderr


def test_refused_address_is_blocked_when_no_network_is_allowed(web: str) -> None:
    completed = run_cli("http", f"{web}/health", "--json", allowed="")

    assert completed.returncode == 1
    payload = one_json_object(completed.stdout)
    assert payload["summary"] == "blocked: 127.0.0.1 is loopback"


def test_human_output_is_one_plain_line_when_not_a_terminal(web: str) -> None:
    completed = run_cli("http", f"{web}/health")

    assert completed.returncode == 0
    assert completed.stdout.startswith(f"PASS http {web}/health: 200 OK in ")
    assert "\x1b[" not in completed.stdout
    assert len(completed.stdout.splitlines()) == 1


def test_human_output_is_coloured_on_a_terminal(web: str) -> None:
    controller, terminal = pty.openpty()
    try:
        completed = run_cli(
            "http",
            f"{web}/health503",
            stdout=terminal,
            capture_output=False,
            stderr=subprocess.PIPE,
        )
        output = os.read(controller, 65536).decode()
    finally:
        os.close(controller)
        os.close(terminal)

    assert completed.returncode == 1
    assert "\x1b[" in output
    assert "FAIL" in output


def test_usage_error_without_json_is_one_line_on_stderr() -> None:
    completed = run_cli("http")

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "ERROR probe: bad arguments: the following arguments are required: target\n"
    )


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


def test_call_command_passes_options_through(web: str, loopback_allowed) -> None:
    out = io.StringIO()

    call_command(
        "probe",
        "http",
        f"{web}/health",
        "--option",
        "json_field=status",
        "--option",
        "json_equals=ok",
        "--timeout",
        "3",
        "--json",
        stdout=out,
    )

    payload = json.loads(out.getvalue())
    assert payload["status"] == "pass"
    assert payload["observed"]["json_value"] == "ok"


def test_call_command_raises_system_exit_with_the_code(loopback_allowed) -> None:
    out = io.StringIO()
    port = closed_port()

    with pytest.raises(SystemExit) as exit_info:
        call_command("probe", "http", f"http://127.0.0.1:{port}/", "--json", stdout=out)

    assert exit_info.value.code == 1
    assert json.loads(out.getvalue())["summary"] == (
        f"connection refused by 127.0.0.1:{port}"
    )


def test_passwords_are_masked_in_the_printed_target(loopback_allowed) -> None:
    out = io.StringIO()
    port = closed_port()
    target = f"redis://:Sup3r-secret-pw@127.0.0.1:{port}/0"

    with pytest.raises(SystemExit):
        call_command("probe", "redis", target, "--json", stdout=out)

    payload = json.loads(out.getvalue())
    assert payload["target"] == f"redis://:***@127.0.0.1:{port}/0"
    assert "Sup3r-secret-pw" not in out.getvalue()


def test_duplicate_options_are_an_error(loopback_allowed) -> None:
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "probe",
            "http",
            "http://127.0.0.1/",
            "--option",
            "samples=2",
            "--option",
            "samples=3",
            "--json",
            stdout=out,
        )

    assert exit_info.value.code == 2
    assert json.loads(out.getvalue())["summary"] == "option samples is given twice"


def test_ca_file_reaches_the_tls_kind(loopback_allowed, tmp_path) -> None:
    out = io.StringIO()
    missing = tmp_path / "nope.pem"

    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "probe",
            "tls",
            "127.0.0.1:443",
            "--ca-file",
            str(missing),
            "--json",
            stdout=out,
        )

    assert exit_info.value.code == 2
    assert (
        json.loads(out.getvalue())["summary"]
        == f"CA file {str(missing)!r} does not exist"
    )


@pytest.mark.parametrize(
    ("args", "summary"),
    [
        (["tls", "127.0.0.1:99999"], "port '99999' is not between 1 and 65535"),
        (["http", "http://127.0.0.1/", "--timeout", "soon"], "timeout 'soon' is not"),
        (["http", "http://127.0.0.1/", "--timeout", "0"], "timeout must be above 0"),
        (["http", "http://127.0.0.1/", "--option", "samples"], "must look like KEY="),
        (["postgres", "host=127.0.0.1 sslkey=/k"], "sslkey is not accepted"),
        (["queue", "redis://127.0.0.1/0", "--option", "queue=a b"], "not a plain"),
    ],
)
def test_more_bad_input_through_call_command(
    args: list[str], summary: str, loopback_allowed
) -> None:
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("probe", *args, "--json", stdout=out)

    assert exit_info.value.code == 2
    payload = json.loads(out.getvalue())
    assert payload["status"] == "error"
    assert summary in payload["summary"]
