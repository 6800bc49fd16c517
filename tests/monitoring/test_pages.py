"""The environment monitoring page: latest status per probe, a history strip, and
editing a schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.monitoring.models import EnvironmentCheck, ProbeSchedule
from apps.probes import services as probes


@pytest.fixture
def configs(environment, lead):
    return [
        probes.probe_config_save(
            environment=environment,
            by=lead,
            name=f"Probe {number}",
            kind="http",
            target=f"http://127.0.0.1:9/{number}",
        )
        for number in range(3)
    ]


def record(config, statuses):
    start = timezone.now() - timedelta(hours=1)
    EnvironmentCheck.objects.bulk_create(
        EnvironmentCheck(
            environment=config.environment,
            config=config,
            scheduled_for=start + timedelta(minutes=index),
            status=status,
            summary=f"{status} #{index}",
            duration_ms=1.0,
        )
        for index, status in enumerate(statuses)
    )


def test_page_shows_latest_status_and_history_in_few_queries(
    client, engineer, environment, configs, django_assert_max_num_queries
):
    record(configs[0], ["pass"] * 25 + ["fail"])
    record(configs[1], ["pass", "warn"])
    client.force_login(engineer)
    with django_assert_max_num_queries(8):
        page = client.get(f"/monitoring/environments/{environment.pk}/")
    assert page.status_code == 200
    text = page.text
    assert "fail #25" in text
    assert "warn #1" in text
    assert "not checked yet" in text
    assert text.count('class="tick tone-') == 20 + 2
    assert "Edit schedule" not in text


def test_lead_edits_a_schedule_on_the_page(client, lead, configs):
    client.force_login(lead)
    response = client.post(
        f"/monitoring/probes/{configs[0].pk}/schedule/",
        {
            "kind": "cron",
            "cron": "*/5 * * * *",
            "time_zone": "Europe/Paris",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    schedule = ProbeSchedule.objects.get(config=configs[0])
    assert (schedule.cron, schedule.time_zone) == ("*/5 * * * *", "Europe/Paris")
    page = client.get(f"/monitoring/environments/{configs[0].environment_id}/")
    assert "cron */5 * * * * (Europe/Paris)" in page.text


def test_auditors_cannot_edit_and_outsiders_cannot_see(
    client, auditor, outsider, configs
):
    client.force_login(auditor)
    url = f"/monitoring/probes/{configs[0].pk}/schedule/"
    assert (
        client.post(url, {"kind": "interval", "interval_minutes": "5"}).status_code
        == 403
    )
    client.force_login(outsider)
    assert client.post(url, {"kind": "interval"}).status_code == 404
    page = client.get(f"/monitoring/environments/{configs[0].environment_id}/")
    assert page.status_code == 404
