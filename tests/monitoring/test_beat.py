"""Schedules run by a real `celery worker --beat` against Redis and PostgreSQL.

The beat process holds only the fixed dispatcher entry (every second here);
every schedule and edit below is read from the database on the next pass, with
no restart. The target is a real HTTP server on loopback.
"""

import time

import pytest

from apps.monitoring import services
from apps.monitoring.models import EnvironmentCheck
from apps.notifications.models import EmailDelivery, Notification
from apps.probes import services as probes
from tests import factories
from tests.probes.conftest import wait_for


def checks(config, status=None) -> int:
    rows = EnvironmentCheck.objects.filter(config=config)
    return rows.filter(status=status).count() if status else rows.count()


@pytest.mark.postgres
def test_beat_runs_schedules_announces_changes_once_and_honours_edits(
    transactional_db, beat_worker, target_url, settings
):
    settings.MONITORING_MIN_INTERVAL_SECONDS = 1
    team = factories.TeamFactory()
    lead = factories.member(team, "lead")
    environment = factories.EnvironmentFactory(
        service__team=team, probe_zone=f"b{time.monotonic_ns()}"
    )
    config = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
    )
    services.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=2 / 60
    )
    beat_worker(["celery", f"probes.{environment.probe_zone}"])
    wait_for(lambda: checks(config, "pass") >= 2, timeout=60, interval=0.3)

    config = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/fail",
        config=config,
    )
    wait_for(lambda: checks(config, "fail") >= 3, timeout=30, interval=0.3)
    failed = Notification.objects.filter(event="probe.failed")
    assert failed.count() == 1
    wait_for(
        lambda: EmailDelivery.objects.filter(status="sent").count() == 1, timeout=10
    )
    assert EmailDelivery.objects.get().address == lead.email

    # Pausing the schedule is honoured by the running beat at its next pass.
    services.probe_schedule_save(
        config=config,
        by=lead,
        kind="interval",
        interval_minutes=2 / 60,
        enabled=False,
    )
    time.sleep(1.5)
    paused_at = checks(config)
    time.sleep(5)
    assert checks(config) == paused_at
    assert Notification.objects.filter(event="probe.failed").count() == 1
