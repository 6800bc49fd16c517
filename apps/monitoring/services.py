"""Probe schedules: saving them, dispatching what is due, running and judging checks.

Beat calls probe_schedules_dispatch() every MONITORING_DISPATCH_SECONDS. It
claims due schedules with SELECT ... FOR UPDATE SKIP LOCKED (two beats or a
slow dispatcher never claim the same one), moves next_run_at on, and enqueues
one task per schedule after commit. Because the schedule is read from the
database on every pass, an edit takes effect on the next pass, without restarting
anything.
"""

import logging
from dataclasses import asdict
from datetime import datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.core import cron, events
from apps.monitoring import tasks
from apps.monitoring.models import EnvironmentCheck, ProbeSchedule
from apps.oncall import services as oncall
from apps.probes import services as probes
from apps.probes.kinds.redaction import redact_target
from apps.probes.models import ProbeConfig

log = logging.getLogger(__name__)

DISPATCH_LIMIT = 200
MAX_INTERVAL_MINUTES = 525_600
CERT_MARKS = (30, 14, 7)
Kind = ProbeSchedule.Kind


def next_run(schedule: ProbeSchedule, after: datetime) -> datetime:
    """The first moment after `after` at which the schedule is due."""
    tz = cron.stored_zone(schedule.time_zone)
    if schedule.kind == Kind.INTERVAL:
        return after + timedelta(seconds=schedule.interval_seconds)
    if schedule.kind == Kind.DAILY:
        local = after.astimezone(tz)
        candidate = datetime.combine(local.date(), schedule.at_time, tzinfo=tz)
        if candidate <= after:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), schedule.at_time, tzinfo=tz
            )
        return candidate
    return cron.parse(schedule.cron).next_after(after, tz)


@transaction.atomic
def probe_schedule_save(
    *,
    config: ProbeConfig,
    by: User,
    kind: str,
    interval_minutes: float | None = None,
    at_time: time | None = None,
    cron_expression: str = "",
    time_zone: str = "UTC",
    enabled: bool = True,
) -> ProbeSchedule:
    """Create or change a probe's schedule; it applies from the next dispatch.

    Refuses intervals under MONITORING_MIN_INTERVAL_SECONDS, unknown time zones
    and invalid cron expressions. A new or changed schedule is due at once when
    its previous run is further back than the new rule allows.
    """
    team = config.environment.service.team
    permissions.require(by, "manage_probes", team)
    errors = {}
    schedule = ProbeSchedule.objects.filter(config=config).first()
    before = _facts(schedule) if schedule else {}
    schedule = schedule or ProbeSchedule(config=config)
    schedule.kind, schedule.time_zone, schedule.enabled = kind, time_zone, enabled
    schedule.interval_seconds, schedule.at_time, schedule.cron = None, None, ""
    oncall.zone(time_zone)
    if kind == Kind.INTERVAL:
        minimum = settings.MONITORING_MIN_INTERVAL_SECONDS
        try:
            minutes = float(interval_minutes)
        except (TypeError, ValueError):
            minutes = 0.0
        # NaN fails both comparisons; ±inf and 1e308 fail the upper bound.
        if not minutes * 60 >= minimum:
            errors["interval_minutes"] = f"Run at most every {minimum} seconds."
        elif not minutes <= MAX_INTERVAL_MINUTES:
            errors["interval_minutes"] = "Run at least once a year (525600 minutes)."
        else:
            schedule.interval_seconds = round(minutes * 60)
    elif kind == Kind.DAILY:
        if at_time is None:
            errors["at_time"] = "Give the time of day."
        schedule.at_time = at_time
    elif kind == Kind.CRON:
        try:
            cron.parse(cron_expression)
        except cron.CronError as error:
            errors["cron_expression"] = str(error)
        schedule.cron = (cron_expression or "").strip()
    else:
        errors["kind"] = "Choose interval, daily or cron."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if schedule.last_run_at is None and kind == Kind.INTERVAL:
        schedule.next_run_at = now
    else:
        last = schedule.last_run_at or now
        if last > now + timedelta(days=1):
            last = now  # a last run "next year" is a hand edit or a broken clock
        schedule.next_run_at = max(next_run(schedule, last), now)
    schedule.save()
    changed_before, changed_after = audit.diff(before, _facts(schedule))
    audit.record(
        actor=by,
        action="probe_schedule.saved",
        target=schedule,
        team_id=team.pk,
        before=changed_before,
        after={"config": config.name, **changed_after},
    )
    return schedule


def _facts(schedule: ProbeSchedule) -> dict:
    return {
        "kind": schedule.kind,
        "interval_seconds": schedule.interval_seconds,
        "at_time": schedule.at_time.isoformat() if schedule.at_time else None,
        "cron": schedule.cron,
        "time_zone": schedule.time_zone,
        "enabled": schedule.enabled,
    }


def probe_schedules_dispatch(now: datetime | None = None) -> int:
    """Claim the schedules that are due, move them on, and enqueue their checks.

    Returns how many were enqueued. Other dispatchers skip the claimed rows.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = ProbeSchedule.objects.filter(
            enabled=True, config__enabled=True, next_run_at__lte=now
        ).order_by("next_run_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        else:
            # SQLite: the write below takes the database lock for the transaction.
            due = due.select_for_update()
        claimed = list(due.select_related("config__environment")[:DISPATCH_LIMIT])
        for schedule in claimed:
            scheduled_for = schedule.next_run_at
            schedule.last_run_at = now
            try:
                schedule.next_run_at = next_run(schedule, max(now, scheduled_for))
            except (cron.CronError, ValidationError, OverflowError) as error:
                # A rule stored past the service's checks (a hand edit, an older
                # version): this schedule stops, the others still run.
                log.warning("schedule %s has no next run: %s", schedule.pk, error)
                schedule.next_run_at = None
            schedule.save(update_fields=["last_run_at", "next_run_at", "updated_at"])
            zone = schedule.config.environment.probe_zone
            transaction.on_commit(
                partial(
                    _enqueue,
                    schedule.pk,
                    scheduled_for.isoformat(),
                    f"probes.{zone}" if zone else "probes",
                )
            )
    return len(claimed)


def _enqueue(schedule_id: int, scheduled_for: str, queue: str) -> None:
    try:
        tasks.run_scheduled_probe.apply_async((schedule_id, scheduled_for), queue=queue)
    except Exception as error:  # kombu raises many types for a broker outage.
        # The moment is skipped; the next one is already set.
        log.warning("scheduled probe %s not enqueued: %s", schedule_id, error)


def environment_check_run(
    *, schedule_id: int, scheduled_for: str
) -> EnvironmentCheck | None:
    """Run a scheduled probe once for the moment and judge the change of state.

    Idempotent: a redelivered task finds the check already recorded and returns
    None without running the probe again.
    """
    moment = datetime.fromisoformat(scheduled_for)
    schedule = ProbeSchedule.objects.select_related(
        "config__environment__service__team"
    ).get(pk=schedule_id)
    config = schedule.config
    if EnvironmentCheck.objects.filter(config=config, scheduled_for=moment).exists():
        return None
    team = config.environment.service.team
    result = probes.probe_config_execute(config, team_id=team.pk)
    with transaction.atomic():
        # The schedule's lock orders concurrent checks of one probe, so each
        # sees the state the previous one left.
        locked = ProbeSchedule.objects.select_for_update().get(pk=schedule_id)
        locked.config = config
        if EnvironmentCheck.objects.filter(
            config=config, scheduled_for=moment
        ).exists():
            return None
        check = EnvironmentCheck.objects.create(
            environment=config.environment,
            config=config,
            scheduled_for=moment,
            **asdict(result),
        )
        _judge(locked, check, team)
    return check


def _judge(schedule: ProbeSchedule, check: EnvironmentCheck, team) -> None:
    """Compare the check with the remembered state and announce a change once."""
    config = schedule.config
    environment = config.environment
    previous_failing = schedule.last_status in ("fail", "error")
    where = f"{environment.service.name} / {environment.name}"
    page = reverse("monitoring:environment", args=[environment.pk])
    facts = {
        "environment": environment.pk,
        "environment_name": where,
        "probe": config.name,
        "kind": config.kind,
        "target": redact_target(config.target),
        "status": check.status,
        "summary": check.summary[:500],
        "check": check.pk,
    }
    if check.failing and not previous_failing:
        events.publish(
            "probe.failed",
            key=f"probe.failed:{schedule.pk}:{check.pk}",
            subject=f"FAILING: {config.name} on {where}",
            body=f"{config.name} ({config.kind}) on {where} is failing:\n"
            f"{check.summary}\n\n{oncall.on_call_text(team, environment.service)}\n",
            link=page,
            team_id=team.pk,
            data=facts,
        )
    elif not check.failing and previous_failing:
        events.publish(
            "probe.recovered",
            key=f"probe.recovered:{schedule.pk}:{check.pk}",
            subject=f"Recovered: {config.name} on {where}",
            body=f"{config.name} ({config.kind}) on {where} passes again:\n"
            f"{check.summary}\n",
            link=page,
            team_id=team.pk,
            data=facts,
        )
    mark = _cert_mark(check)
    if mark is not None and (schedule.cert_mark is None or mark < schedule.cert_mark):
        days = check.observed.get("days_remaining")
        events.publish(
            "certificate.expiring",
            key=f"certificate.expiring:{schedule.pk}:{mark}:"
            f"{check.observed.get('not_after', '')}",
            subject=f"Certificate of {config.target} expires in {days} days",
            body=f"The certificate checked by {config.name} on {where} expires in "
            f"{days} days (under {mark}).\n\n"
            f"{oncall.on_call_text(team, environment.service)}\n",
            link=page,
            team_id=team.pk,
            data={**facts, "days_remaining": days, "mark": mark},
        )
    schedule.last_status = check.status
    if check.observed.get("days_remaining") is not None or mark is not None:
        schedule.cert_mark = mark
    schedule.save(update_fields=["last_status", "cert_mark"])


def _cert_mark(check: EnvironmentCheck) -> int | None:
    days = check.observed.get("days_remaining")
    if not isinstance(days, int):
        return None
    crossed = [mark for mark in CERT_MARKS if days < mark]
    return min(crossed) if crossed else None
