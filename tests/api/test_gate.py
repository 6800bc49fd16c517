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
