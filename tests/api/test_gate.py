"""The readiness gate: `manage.py gate` and the readiness endpoint agree."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.api.conftest import make_ready

pytestmark = pytest.mark.django_db


def _gate(*args: str) -> tuple[int, str]:
    """Run the command as a pipeline would; return its exit status and output."""
    out = StringIO()
    try:
        call_command("gate", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def test_a_ready_release_passes_the_gate_and_the_endpoint_agrees(
    client_for, engineer, release, lead
):
    make_ready(release, lead)

    status, output = _gate(str(release.pk), "--json")
    endpoint = client_for(engineer).get(f"/api/v1/releases/{release.pk}/readiness/")

    assert status == 0
    assert json.loads(output) == {
        "ready": True,
        "score": 100,
        "blockers": [],
        "warnings": [],
        "waivers": [],
        "freeze": None,
        "override": None,
    }
    assert endpoint.status_code == 200
    assert endpoint.json() == json.loads(output)


def test_a_release_that_is_not_ready_stops_the_gate_and_the_endpoint_agrees(
    client_for, auditor, release
):
    status, output = _gate(str(release.pk), "--json")
    endpoint = client_for(auditor).get(f"/api/v1/releases/{release.pk}/readiness/")

    verdict = json.loads(output)
    assert status == 1
    assert verdict["ready"] is False
    assert 0 <= verdict["score"] < 100
    assert {blocker["type"] for blocker in verdict["blockers"]} == {"item", "signoff"}
    assert endpoint.json() == verdict


def test_a_missing_release_is_exit_status_2_and_a_404(client_for, engineer, release):
    missing = release.pk + 1000

    status, output = _gate(str(missing))
    endpoint = client_for(engineer).get(f"/api/v1/releases/{missing}/readiness/")

    assert status == 2
    assert output == f"No release has id {missing}."
    assert endpoint.status_code == 404


@pytest.mark.parametrize("reference", ["", "@", "web@", "a@b@c@d", "@1.0.0"])
def test_a_malformed_reference_is_exit_status_2(reference):
    status, _output = _gate(reference)

    assert status == 2


def test_a_release_is_found_by_service_version_and_environment(release, lead):
    service, environment = release.service, release.environment

    by_slug = _gate(f"{service.slug}@1.0.0")
    by_name = _gate(f"{service.name}@1.0.0@{environment.name}")
    wrong_environment = _gate(f"{service.slug}@1.0.0@production")

    assert by_slug[0] == 1 and f"(release {release.pk}," in by_slug[1]
    assert by_name[0] == 1 and by_name[1].startswith("NOT READY: ")
    assert wrong_environment[0] == 2


def test_the_plain_output_lists_each_blocker(release):
    status, output = _gate(str(release.pk))

    lines = output.splitlines()
    assert status == 1
    assert lines[0].startswith(f"NOT READY: {release.service.name} 1.0.0")
    assert any(line.startswith("- [signoff] ") for line in lines[1:])
    assert any(line.startswith("- [item] ") for line in lines[1:])


def _gate_process(*args: str, database_url: str | None = None):
    """`manage.py gate` in its own process, as a pipeline runs it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    database = connection.settings_dict
    url = database_url or (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "gate", *args],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["99999", "--json"], "No release has id 99999."),
        (["--json", "web@"], "'web@' is not a release"),
        (["--json"], "the following arguments are required: release"),
    ],
    ids=["missing", "malformed", "no argument"],
)
def test_every_error_of_gate_json_is_json_on_stdout_and_exit_2(args, error):
    done = _gate_process(*args)

    answer = json.loads(done.stdout)
    assert done.returncode == 2, done.stderr
    assert answer["ready"] is False
    assert error in answer["error"]


def test_an_unreachable_database_is_a_json_error_too():
    done = _gate_process(
        "5", "--json", database_url="postgres://nobody@127.0.0.1:1/nothing"
    )

    answer = json.loads(done.stdout)
    assert done.returncode == 2, done.stderr
    assert answer["ready"] is False
    assert answer["error"]


def test_an_ambiguous_reference_is_a_json_error(release, lead):
    from apps.releases import services
    from tests import factories

    production = factories.EnvironmentFactory(
        service=release.service, name="production"
    )
    services.release_create(
        service=release.service,
        environment=production,
        template=release.template,
        version="1.0.0",
        by=lead,
    )
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("gate", f"{release.service.slug}@1.0.0", "--json", stdout=out)

    assert refused.value.returncode == 2
    assert json.loads(out.getvalue()) == {
        "error": str(refused.value),
        "ready": False,
    }
    assert "several environments" in str(refused.value)
