"""Probe schedules: saving, dispatching what is due, and announcing changes once.

Checks run real probes against loopback HTTP and TLS servers in this process;
test_beat.py runs the same path through a real worker and beat.
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.monitoring import services
from apps.monitoring.models import EnvironmentCheck, ProbeSchedule
from apps.notifications.models import EmailDelivery, Notification
from apps.probes import services as probes


@pytest.fixture
def probe(environment, lead, target_url):
    return probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
    )


def retarget(config, lead, target):
    return probes.probe_config_save(
        environment=config.environment,
        by=lead,
        name=config.name,
        kind=config.kind,
        target=target,
        config=config,
    )


def run_due(capture, now):
    """Dispatch at `now` and run what it enqueued, here (tasks are eager)."""
    with capture(execute=True):
        return services.probe_schedules_dispatch(now=now)


def test_interval_below_the_minimum_is_refused(probe, lead):
    with pytest.raises(ValidationError) as error:
        services.probe_schedule_save(
            config=probe, by=lead, kind="interval", interval_minutes=0.5
        )
    assert "at most every 60 seconds" in str(error.value)


def test_engineer_cannot_schedule_probes(probe, engineer):
    with pytest.raises(PermissionDenied):
        services.probe_schedule_save(
            config=probe, by=engineer, kind="interval", interval_minutes=5
        )


def test_bad_cron_and_time_zone_are_refused(probe, lead):
    with pytest.raises(ValidationError, match="five fields"):
        services.probe_schedule_save(
            config=probe, by=lead, kind="cron", cron_expression="* * *"
        )
    with pytest.raises(ValidationError, match="Unknown time zone"):
        services.probe_schedule_save(
            config=probe, by=lead, kind="daily", at_time=time(6), time_zone="Mars/Base"
        )


def test_daily_schedule_is_due_at_the_local_time(probe, lead):
    schedule = services.probe_schedule_save(
        config=probe,
        by=lead,
        kind="daily",
        at_time=time(3, 30),
        time_zone="America/New_York",
    )
    after = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert services.next_run(schedule, after) == datetime(2026, 7, 2, 7, 30, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="probe_schedule.saved").count() == 1


def test_dispatch_runs_due_schedules_once_and_sets_the_next_run(
    probe, lead, django_capture_on_commit_callbacks
):
    schedule = services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=5
    )
    now = timezone.now() + timedelta(seconds=1)
    assert run_due(django_capture_on_commit_callbacks, now) == 1
    assert run_due(django_capture_on_commit_callbacks, now) == 0
    schedule.refresh_from_db()
    assert schedule.next_run_at == now + timedelta(minutes=5)
    check = EnvironmentCheck.objects.get()
    assert (check.status, check.environment) == ("pass", probe.environment)
    assert run_due(django_capture_on_commit_callbacks, now + timedelta(minutes=5)) == 1
    assert EnvironmentCheck.objects.count() == 2


def test_disabled_schedules_and_probes_are_not_dispatched(
    probe, lead, django_capture_on_commit_callbacks
):
    services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=5, enabled=False
    )
    assert run_due(django_capture_on_commit_callbacks, timezone.now()) == 0


def test_an_edited_schedule_applies_at_the_next_dispatch(
    probe, lead, django_capture_on_commit_callbacks
):
    services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=60
    )
    start = timezone.now() + timedelta(seconds=1)
    run_due(django_capture_on_commit_callbacks, start)
    assert (
        run_due(django_capture_on_commit_callbacks, start + timedelta(minutes=2)) == 0
    )
    services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=1
    )
    assert ProbeSchedule.objects.get().next_run_at == start + timedelta(minutes=1)
    assert (
        run_due(django_capture_on_commit_callbacks, start + timedelta(minutes=2)) == 1
    )


def test_a_redelivered_check_runs_and_records_nothing_more(probe, lead):
    schedule = services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=5
    )
    moment = timezone.now().isoformat()
    first = services.environment_check_run(
        schedule_id=schedule.pk, scheduled_for=moment
    )
    again = services.environment_check_run(
        schedule_id=schedule.pk, scheduled_for=moment
    )
    assert first is not None and again is None
    assert EnvironmentCheck.objects.count() == 1


def test_failure_and_recovery_are_each_announced_once(
    probe, lead, engineer, target_url, django_capture_on_commit_callbacks
):
    schedule = services.probe_schedule_save(
        config=probe, by=lead, kind="interval", interval_minutes=1
    )
    now = timezone.now() + timedelta(seconds=1)
    run_due(django_capture_on_commit_callbacks, now)
    retarget(probe, lead, f"{target_url}/fail")
    for minute in range(1, 4):
        run_due(django_capture_on_commit_callbacks, now + timedelta(minutes=minute))
    assert list(
        EnvironmentCheck.objects.order_by("scheduled_for").values_list(
            "status", flat=True
        )
    ) == ["pass", "fail", "fail", "fail"]
    failed = Notification.objects.get(event="probe.failed")
    assert "FAILING: Health" in failed.subject
    subjects = [message.subject for message in outbox.outbox]
    assert subjects.count(failed.subject) == 2  # the lead and the engineer
    assert {m.to[0] for m in outbox.outbox} == {lead.email, engineer.email}
    assert "On call now: nobody" in outbox.outbox[0].body

    retarget(probe, lead, f"{target_url}/ok")
    for minute in range(4, 7):
        run_due(django_capture_on_commit_callbacks, now + timedelta(minutes=minute))
    assert Notification.objects.filter(event="probe.recovered").count() == 1
    assert Notification.objects.filter(event="probe.failed").count() == 1
    assert EmailDelivery.objects.filter(status="sent").count() == 4
    schedule.refresh_from_db()
    assert schedule.last_status == "pass"


def test_certificate_marks_are_announced_once_each(
    environment, lead, expiring_servers, django_capture_on_commit_callbacks
):
    config = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="TLS",
        kind="tls",
        target=expiring_servers[20],
        options={"check_hsts": "false"},
    )
    services.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=1
    )
    now = timezone.now() + timedelta(seconds=1)
    steps = [20, 20, 10, 10, 5, 5]
    for minute, days in enumerate(steps):
        if config.target != expiring_servers[days]:
            config = retarget(config, lead, expiring_servers[days])
        run_due(django_capture_on_commit_callbacks, now + timedelta(minutes=minute))
    days_seen = list(
        EnvironmentCheck.objects.order_by("scheduled_for").values_list(
            "observed__days_remaining", flat=True
        )
    )
    assert days_seen == steps
    marks = list(
        Notification.objects.filter(event="certificate.expiring")
        .order_by("id")
        .values_list("data__mark", flat=True)
    )
    assert marks == [30, 14, 7]
    assert "expires in 5 days" in Notification.objects.order_by("-id").first().subject


@pytest.mark.postgres
def test_a_schedule_another_dispatcher_holds_is_skipped_not_run_twice(
    transactional_db, environment, lead, target_url
):
    import threading

    from django.db import connection, transaction

    config = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
    )
    schedule = services.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=5
    )
    held, done = threading.Event(), threading.Event()

    def other_dispatcher() -> None:
        with transaction.atomic():
            ProbeSchedule.objects.select_for_update().get(pk=schedule.pk)
            held.set()
            done.wait(10)
        connection.close()

    thread = threading.Thread(target=other_dispatcher)
    thread.start()
    assert held.wait(5)
    now = timezone.now() + timedelta(seconds=1)
    assert services.probe_schedules_dispatch(now=now) == 0
    done.set()
    thread.join()
    assert services.probe_schedules_dispatch(now=now) == 1
    assert EnvironmentCheck.objects.filter(config=config).count() == 1
