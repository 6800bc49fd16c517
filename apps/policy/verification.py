"""Post-deploy verification windows: start one, take measurements, judge, decide.

A window is driven by `tasks.verify_window`, which takes one measurement and
schedules the next with a countdown. A measurement runs every probe of the
window once: it succeeds when all pass, fails when any fails or warns (an http
probe warns when its p95 is over budget), and has no data when a probe errored
or a Prometheus query came back empty. Each call is safe to redeliver: a call
that comes before the interval is up does nothing.
"""

import logging
from datetime import timedelta
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.core import events
from apps.core.links import absolute_url
from apps.policy import tasks
from apps.policy.models import (
    VerificationSample,
    VerificationSettings,
    VerificationWindow,
)
from apps.probes import services as probe_services
from apps.probes.kinds import Result
from apps.probes.models import ProbeConfig
from apps.releases.models import Release, ReleaseItem

log = logging.getLogger(__name__)

KINDS = ("http", "prometheus")
MIN_INTERVAL = 0.1
MAX_DURATION = 24 * 3600.0
# The most measurements a window can take: bounds the counts it is given.
MAX_MEASUREMENTS = int(MAX_DURATION / MIN_INTERVAL)
Outcome = VerificationWindow.Outcome


def verdict_of(kind: str, status: str, observed: dict) -> str:
    """success, failure or no_data for one probe's answer."""
    if status == "pass":
        return "success"
    if status == "error":
        return "no_data"
    if (
        kind == "prometheus"
        and observed.get("value") is None
        and observed.get("result_type")
    ):
        return "no_data"
    return "failure"


@transaction.atomic
def verification_window_start(
    *,
    release: Release,
    by: User | None,
    configs: list[ProbeConfig] | None = None,
    interval_seconds: float = 30,
    duration_seconds: float = 600,
    failure_limit: int = 0,
    consecutive_successes: int = 3,
    regression_percent: int | None = None,
) -> VerificationWindow:
    """Start probing a deployed release; by default every enabled http and
    prometheus probe of its environment. Refuses releases not deployed."""
    if by is not None:
        permissions.require(by, "run_probes", release.team)
    if release.status != Release.Status.DEPLOYED:
        raise ValidationError("Verify a release after it is deployed.")
    if configs is None:
        configs = list(
            release.environment.probe_configs.filter(enabled=True, kind__in=KINDS)
        )
    errors = {}
    if not configs:
        errors["configs"] = "Choose at least one http or prometheus probe."
    elif any(
        c.kind not in KINDS or c.environment_id != release.environment_id
        for c in configs
    ):
        errors["configs"] = "Use http or prometheus probes of this environment."
    errors.update(
        _window_errors(
            interval_seconds, duration_seconds, failure_limit, consecutive_successes
        )
    )
    if regression_percent is not None and not 1 <= regression_percent <= 10_000:
        errors["regression_percent"] = "Use 1 to 10000 percent."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    window = VerificationWindow.objects.create(
        release=release,
        config_ids=sorted(c.pk for c in configs),
        interval_seconds=float(interval_seconds),
        duration_seconds=float(duration_seconds),
        failure_limit=failure_limit,
        consecutive_successes=consecutive_successes,
        regression_percent=regression_percent,
        started_by=by,
        started_at=now,
        ends_at=now + timedelta(seconds=float(duration_seconds)),
    )
    audit.record(
        actor=by,
        actor_label="" if by else "system",
        action="verification.started",
        target=window,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "probes": [c.name for c in configs],
            "interval_seconds": window.interval_seconds,
            "duration_seconds": window.duration_seconds,
            "failure_limit": failure_limit,
            "consecutive_successes": consecutive_successes,
        },
    )
    transaction.on_commit(partial(tasks.verify_window.delay, window.pk))
    return window


def _measure(
    window: VerificationWindow, configs: list[ProbeConfig]
) -> list[tuple[ProbeConfig, Result]]:
    team_id = window.release.team_id
    return [
        (config, probe_services.probe_config_execute(config, team_id=team_id))
        for config in configs
    ]


def verification_tick(*, window_id: int, schedule: bool = True) -> VerificationWindow:
    """Take one measurement if one is due, judge the window, schedule the next.

    The probes run outside any transaction; the judgement is written under a row
    lock, so a redelivered task never counts a measurement twice.
    """
    window = VerificationWindow.objects.select_related("release").get(pk=window_id)
    now = timezone.now()
    if not window.running or not _due(window, now):
        return window
    configs = list(ProbeConfig.objects.filter(pk__in=window.config_ids))
    samples = _measure(window, configs)
    with transaction.atomic():
        window = (
            VerificationWindow.objects.select_for_update()
            .select_related("release")
            .get(pk=window_id)
        )
        if not window.running or not _due(window, now):
            return window
        seq = window.measurements + 1
        taken = timezone.now()
        verdicts = []
        rows = []
        for config, result in samples:
            verdict = verdict_of(config.kind, result.status, result.observed)
            verdicts.append(verdict)
            rows.append(
                VerificationSample(
                    window=window,
                    seq=seq,
                    config_id=config.pk,
                    name=config.name,
                    kind=config.kind,
                    status=result.status,
                    verdict=verdict,
                    summary=result.summary,
                    observed=result.observed,
                    taken_at=taken,
                )
            )
        VerificationSample.objects.bulk_create(rows)
        window.measurements = seq
        window.last_measured_at = now
        if "failure" in verdicts:
            window.failures += 1
            window.streak = 0
        elif "no_data" in verdicts or not verdicts:
            window.no_data += 1
            window.streak = 0
        else:
            window.successes += 1
            window.streak += 1
        _judge(window, taken)
        window.save()
        if window.running and schedule:
            transaction.on_commit(
                partial(
                    tasks.verify_window.apply_async,
                    (window.pk,),
                    countdown=window.interval_seconds,
                )
            )
    return window


def _due(window: VerificationWindow, now) -> bool:
    if window.last_measured_at is None:
        return True
    # A little slack: a countdown may fire a few milliseconds early.
    slack = min(0.05, window.interval_seconds / 10)
    due = window.last_measured_at + timedelta(seconds=window.interval_seconds - slack)
    return now >= due


def _judge(window: VerificationWindow, now) -> None:
    """Fail as soon as the failure limit is passed; at the end, pass with enough
    successes in a row, else inconclusive."""
    if window.failures > window.failure_limit:
        outcome = Outcome.FAILED
    elif now >= window.ends_at - timedelta(seconds=window.interval_seconds / 2):
        outcome = (
            Outcome.PASSED
            if window.streak >= window.consecutive_successes
            else Outcome.INCONCLUSIVE
        )
    else:
        return
    window.outcome = outcome
    window.finished_at = now
    window.summary = _summary(window)
    _announce(window)


def _window_p95(window: VerificationWindow) -> float | None:
    latencies = sorted(
        value
        for observed in window.samples.filter(kind="http").values_list(
            "observed", flat=True
        )
        for value in observed.get("latencies_ms", [observed.get("latency_ms")])
        if isinstance(value, int | float)
    )
    if not latencies:
        return None
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]


def _previous_p95(window: VerificationWindow) -> float | None:
    """The p95 of the last finished window of the previous release of the same
    service to the same environment."""
    release = window.release
    previous = (
        VerificationWindow.objects.filter(
            release__service_id=release.service_id,
            release__environment_id=release.environment_id,
            release__created_at__lt=release.created_at,
            finished_at__isnull=False,
            p95_ms__isnull=False,
        )
        .order_by("-release__created_at", "-finished_at")
        .values_list("p95_ms", flat=True)
        .first()
    )
    return previous


def _summary(window: VerificationWindow) -> str:
    counts = (
        f"{window.successes} passed, {window.failures} failed, "
        f"{window.no_data} without data of {window.measurements} measurements"
    )
    window.p95_ms = _window_p95(window)
    if window.p95_ms is not None:
        counts += f"; http p95 over the window {window.p95_ms:.0f} ms"
        before = _previous_p95(window) if window.regression_percent else None
        if before:
            worse = (window.p95_ms - before) * 100 / before
            window.regression = worse > window.regression_percent
            if window.regression:
                counts += (
                    f"; regression: {worse:.0f}% slower than the previous "
                    f"release's {before:.0f} ms"
                )
    if window.outcome == Outcome.FAILED:
        return f"Failed: more than {window.failure_limit} failed; {counts}."
    if window.outcome == Outcome.PASSED:
        return f"Passed: {window.streak} in a row at the end; {counts}."
    return (
        f"Inconclusive: {window.streak} in a row at the end, "
        f"{window.consecutive_successes} needed; {counts}. A person must decide."
    )


def rollback_plan(release: Release) -> list[dict]:
    """The release's rollback steps, in order, as the failure notice shows them."""
    return [
        {"text": text, "command": command}
        for text, command in ReleaseItem.objects.filter(
            release=release, phase="rollback"
        )
        .order_by("position")
        .values_list("text", "command")
    ]


def _announce(window: VerificationWindow) -> None:
    release = window.release
    audit.record(
        actor=None,
        actor_label=f"verification window #{window.pk}",
        action=f"verification.{window.outcome}",
        target=window,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "outcome": window.outcome,
            "summary": window.summary,
            "regression": window.regression,
        },
    )
    _tell(window)


def _tell(window: VerificationWindow) -> None:
    """Send a failed or inconclusive outcome to the team's webhooks; a failure
    comes with the rollback plan. Passing is recorded, not announced."""
    if window.outcome not in (Outcome.FAILED, Outcome.INCONCLUSIVE):
        return
    release = window.release
    extra = {"window": window.pk, "summary": window.summary}
    if window.outcome == Outcome.FAILED:
        extra["rollback_plan"] = rollback_plan(release)
        extra["rollback_path"] = release.get_absolute_url() + "#phase-rollback"
        extra["rollback_url"] = absolute_url(extra["rollback_path"])
    events.publish(
        f"verification.{window.outcome}",
        team_id=release.team_id,
        release=release,
        **extra,
    )


@transaction.atomic
def verification_window_decide(
    *, window: VerificationWindow, outcome: str, note: str, by: User
) -> VerificationWindow:
    """A lead settles an inconclusive window as passed or failed, with a note.

    Refuses people who may not override (engineers, auditors), windows that are
    not inconclusive, other outcomes and an empty note. The summary says who
    decided and why; the outcome is announced as if the window had reached it
    (a failure goes to webhooks with the rollback plan).
    """
    release = window.release
    permissions.require(by, "override", release.team)
    window = (
        VerificationWindow.objects.select_for_update()
        .select_related("release")
        .get(pk=window.pk)
    )
    if window.outcome != Outcome.INCONCLUSIVE:
        raise ValidationError("Only an inconclusive window needs a decision.")
    if outcome not in (Outcome.PASSED, Outcome.FAILED):
        raise ValidationError({"outcome": "Decide passed or failed."})
    if not (note or "").strip():
        raise ValidationError({"note": "Say why."})
    before = {"outcome": window.outcome, "summary": window.summary}
    window.outcome, window.decided_by = outcome, by
    window.decision_note = note.strip()[:2000]
    window.summary = (
        f"{window.get_outcome_display()}, decided by {by.get_username()}: "
        f"{window.decision_note} (measured: {before['summary']})"
    )
    window.save(update_fields=["outcome", "decided_by", "decision_note", "summary"])
    audit.record(
        actor=by,
        action="verification.decided",
        target=window,
        team_id=release.team_id,
        release_id=release.pk,
        before=before,
        after={
            "outcome": outcome,
            "note": window.decision_note,
            "summary": window.summary,
        },
    )
    _tell(window)
    return window


def verification_windows_resume() -> int:
    """Re-enqueue running windows whose next measurement is overdue, because a
    broker outage or a lost task broke their countdown chain; returns how many.

    Duplicates are harmless: a measurement that is not yet due is skipped.
    """
    now = timezone.now()
    resumed = 0
    for window in VerificationWindow.objects.filter(outcome=Outcome.RUNNING):
        last = window.last_measured_at or window.started_at
        if now >= last + timedelta(seconds=window.interval_seconds + 10):
            tasks.verify_window.delay(window.pk)
            resumed += 1
    return resumed


def _window_errors(
    interval_seconds: float,
    duration_seconds: float,
    failure_limit: int,
    consecutive_successes: int,
) -> dict[str, str]:
    """What is wrong with a window's timing and limits, by field."""
    errors = {}
    if not MIN_INTERVAL <= float(interval_seconds) <= MAX_DURATION:
        errors["interval_seconds"] = f"Use {MIN_INTERVAL} s to a day."
    if not float(interval_seconds) <= float(duration_seconds) <= MAX_DURATION:
        errors["duration_seconds"] = "Last at least one interval and at most a day."
    if not 1 <= consecutive_successes <= MAX_MEASUREMENTS:
        errors["consecutive_successes"] = (
            f"Ask for 1 to {MAX_MEASUREMENTS} successes in a row."
        )
    if not 0 <= failure_limit <= MAX_MEASUREMENTS:
        errors["failure_limit"] = f"Allow 0 to {MAX_MEASUREMENTS} failures."
    return errors


SETTINGS_FIELDS = (
    "enabled",
    "duration_seconds",
    "interval_seconds",
    "failure_limit",
    "consecutive_successes",
)


def verification_settings_for(environment) -> VerificationSettings:
    """The environment's settings, or the defaults (off) when none are saved."""
    found = VerificationSettings.objects.filter(environment=environment).first()
    return found or VerificationSettings(environment=environment)


@transaction.atomic
def verification_settings_save(
    *,
    environment,
    by: User,
    enabled: bool,
    duration_seconds: float,
    interval_seconds: float,
    failure_limit: int,
    consecutive_successes: int,
) -> VerificationSettings:
    """Set how releases deployed to the environment are verified (leads)."""
    permissions.require(by, "override", environment.service.team)
    errors = _window_errors(
        interval_seconds, duration_seconds, failure_limit, consecutive_successes
    )
    if errors:
        raise ValidationError(errors)
    settings = verification_settings_for(environment)
    before = {f: getattr(settings, f) for f in SETTINGS_FIELDS} if settings.pk else {}
    settings.enabled = enabled
    settings.duration_seconds = float(duration_seconds)
    settings.interval_seconds = float(interval_seconds)
    settings.failure_limit = failure_limit
    settings.consecutive_successes = consecutive_successes
    settings.save()
    changed_before, changed_after = audit.diff(
        before, {f: getattr(settings, f) for f in SETTINGS_FIELDS}
    )
    audit.record(
        actor=by,
        action="verification_settings.changed",
        target=settings,
        team_id=environment.service.team_id,
        before=changed_before,
        after={"environment": environment.name, **changed_after},
    )
    return settings


def verification_start_on_deploy(
    event: str, *, team_id: int | None, release: Release | None = None, **_: object
) -> None:
    """An events subscriber: when a release is marked deployed to an environment
    whose verification is on, start its window (as the system). An environment
    without an http or prometheus probe has nothing to measure: it is skipped
    and logged, and the deploy goes through either way."""
    if event != "release.deployed" or release is None:
        return
    settings = VerificationSettings.objects.filter(
        environment_id=release.environment_id, enabled=True
    ).first()
    if settings is None:
        return
    try:
        with transaction.atomic():
            verification_window_start(
                release=release,
                by=None,
                interval_seconds=settings.interval_seconds,
                duration_seconds=settings.duration_seconds,
                failure_limit=settings.failure_limit,
                consecutive_successes=settings.consecutive_successes,
            )
    except ValidationError as error:
        log.warning(
            "verification of release %s not started: %s",
            release.pk,
            " ".join(error.messages),
        )
