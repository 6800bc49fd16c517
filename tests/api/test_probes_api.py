"""Probe configurations and runs over the API, per role."""

import pytest

from apps.probes.models import ProbeConfig, ProbeRun

pytestmark = pytest.mark.django_db


def _config(environment) -> dict:
    return {
        "environment": environment.pk,
        "name": "health",
        "kind": "http",
        "target": "http://127.0.0.1:9/health",
        "secret": "s3cret-token",
    }


def test_a_lead_adds_a_probe_and_its_secret_is_never_shown(
    client_for, lead, environment
):
    client = client_for(lead)

    created = client.post("/api/v1/probe-configs/", _config(environment), format="json")
    listed = client.get(f"/api/v1/probe-configs/?environment={environment.pk}")

    assert created.status_code == 201
    assert created.json()["has_secret"] is True
    assert "s3cret-token" not in created.content.decode()
    assert "s3cret-token" not in listed.content.decode()
    assert "s3cret-token" not in ProbeConfig.objects.get().secret_encrypted


def test_updating_a_probe_without_a_secret_keeps_the_stored_one(
    client_for, lead, environment
):
    client = client_for(lead)
    created = client.post("/api/v1/probe-configs/", _config(environment), format="json")
    changed = {**_config(environment), "timeout": 5}
    del changed["secret"]

    response = client.put(
        f"/api/v1/probe-configs/{created.json()['id']}/", changed, format="json"
    )

    assert response.status_code == 200
    assert response.json()["timeout"] == 5.0
    assert response.json()["has_secret"] is True


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_configure_probes(client_for, environment, role, request):
    response = client_for(request.getfixturevalue(role)).post(
        "/api/v1/probe-configs/", _config(environment), format="json"
    )

    assert response.status_code == 403
    assert not ProbeConfig.objects.exists()


def test_another_teams_environment_cannot_get_probes(client_for, outsider, environment):
    response = client_for(outsider).post(
        "/api/v1/probe-configs/", _config(environment), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"environment": ["No such environment."]}


def test_a_run_needs_configured_probes(client_for, engineer, release):
    response = client_for(engineer).post(
        "/api/v1/probe-runs/", {"release": release.pk}, format="json"
    )

    assert response.status_code == 400
    assert "no enabled probes" in str(response.json())


def test_an_auditor_cannot_start_a_run(client_for, auditor, lead, release):
    client_for(lead).post(
        "/api/v1/probe-configs/", _config(release.environment), format="json"
    )

    response = client_for(auditor).post(
        "/api/v1/probe-runs/", {"release": release.pk}, format="json"
    )

    assert response.status_code == 403
    assert not ProbeRun.objects.exists()


def test_an_engineer_starts_a_run_and_outsiders_cannot_see_it(
    client_for, engineer, lead, outsider, release
):
    client_for(lead).post(
        "/api/v1/probe-configs/", _config(release.environment), format="json"
    )

    started = client_for(engineer).post(
        "/api/v1/probe-runs/", {"release": release.pk}, format="json"
    )
    run_id = started.json()["id"]

    assert started.status_code == 201
    assert started.json()["status"] == "queued"
    assert client_for(engineer).get(f"/api/v1/probe-runs/{run_id}/").status_code == 200
    assert client_for(outsider).get(f"/api/v1/probe-runs/{run_id}/").status_code == 404
    assert client_for(outsider).get("/api/v1/probe-results/").json()["results"] == []
