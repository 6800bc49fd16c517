"""PUT/GET /api/v1/probe-schedules/{config id}/: schedules are data over the API."""

import pytest

from apps.audit.models import AuditEvent
from apps.monitoring.models import ProbeSchedule
from apps.probes import services as probes


@pytest.fixture
def config(release, lead):
    return probes.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Health",
        kind="http",
        target="http://127.0.0.1:9/health/",
    )


def test_lead_sets_and_changes_a_schedule(client_for, config, lead):
    api = client_for(lead)
    url = f"/api/v1/probe-schedules/{config.pk}/"
    response = api.put(url, {"kind": "interval", "interval_minutes": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["interval_seconds"] == 300
    response = api.put(
        url,
        {
            "kind": "cron",
            "cron_expression": "0 6 * * 1-5",
            "time_zone": "Europe/Berlin",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    schedule = ProbeSchedule.objects.get(config=config)
    assert (schedule.kind, schedule.cron) == ("cron", "0 6 * * 1-5")
    assert AuditEvent.objects.filter(action__startswith="probe_schedule.").count() == 2
    listed = api.get("/api/v1/probe-schedules/").json()
    assert [row["config"] for row in listed["results"]] == [config.pk]
    assert api.get(url).json()["time_zone"] == "Europe/Berlin"


def test_an_interval_under_the_minimum_is_a_400(client_for, config, lead):
    response = client_for(lead).put(
        f"/api/v1/probe-schedules/{config.pk}/",
        {"kind": "interval", "interval_minutes": 0.1},
        format="json",
    )
    assert response.status_code == 400
    assert not ProbeSchedule.objects.exists()


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_set_schedules(client_for, config, role, request):
    response = client_for(request.getfixturevalue(role)).put(
        f"/api/v1/probe-schedules/{config.pk}/",
        {"kind": "interval", "interval_minutes": 5},
        format="json",
    )
    assert response.status_code == 403
    assert not ProbeSchedule.objects.exists()


def test_another_teams_probe_is_404(client_for, config, outsider):
    response = client_for(outsider).put(
        f"/api/v1/probe-schedules/{config.pk}/",
        {"kind": "interval", "interval_minutes": 5},
        format="json",
    )
    assert response.status_code == 404
