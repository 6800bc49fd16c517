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


def checks_at(config, *checks):
    """EnvironmentChecks (hours ago, status, milliseconds) of one probe."""
    now = timezone.now()
    EnvironmentCheck.objects.bulk_create(
        EnvironmentCheck(
            environment=config.environment,
            config=config,
            scheduled_for=now - timedelta(hours=hours),
            status=status,
            summary=f"{status} {hours} h ago",
            duration_ms=milliseconds,
        )
        for hours, status, milliseconds in checks
    )


def test_each_probe_shows_its_uptime_and_latency_for_a_day_and_a_month(
    client, engineer, environment, configs, django_assert_max_num_queries
):
    checks_at(
        configs[0],
        (3, "pass", 100.0),
        (2, "warn", 200.0),
        (1, "fail", 300.0),
        (26, "pass", 100.0),  # a month, not a day
        (24 * 10, "pass", 50.0),
        (24 * 40, "fail", 50.0),  # older than either
    )
    checks_at(configs[1], (24 * 3, "pass", 80.0))
    client.force_login(engineer)
    with django_assert_max_num_queries(8):
        page = client.get(f"/monitoring/environments/{environment.pk}/")
    row = page.text.split(f'id="probe-{configs[0].pk}"')[1].split("</tr>")[0]
    day, month = row.split('<td class="trend"')[1:3]
    # A warning is up; a failure is not.
    assert "66.7 % up" in day and "3 checks" in day
    assert "80 % up" in month and "5 checks" in month
    assert "tone-bad" in day
    assert day.count("<polyline") == 1 and day.count("spark-fail") == 1
    # Its text alternative says the same in words.
    assert 'aria-labelledby="trend-hour-' in day
    assert "Average latency per hour over the last 24 hours: 100 to 300 ms" in day
    assert "failures in 1 of 24 hours" in day
    assert "failures in 1 of 30 days" in month
    other = page.text.split(f'id="probe-{configs[1].pk}"')[1].split("</tr>")[0]
    day, month = other.split('<td class="trend"')[1:3]
    assert "no checks" in day
    assert "100 % up" in month and "tone-ok" in month and "spark-fail" not in month
    # The recent checks read as colours and words, not only as glyphs.
    assert 'aria-label="Last 6 checks: fail, pass, pass, pass, warn, fail"' in row
    assert row.count('class="tick tone-bad"') == 2


def test_an_environment_without_probes_says_what_to_do(client, lead, environment):
    client.force_login(lead)
    page = client.get(f"/monitoring/environments/{environment.pk}/")
    assert "has no probes yet" in page.text
    assert f"/environments/{environment.pk}/probes/new/" in page.text
