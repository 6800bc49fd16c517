"""Configuring probes, starting runs, executing them on workers, recording results.

A run is written as queued in the transaction that starts it and dispatched to
Celery after commit, in batches. Each batch runs its probes concurrently on
threads (network probes wait on I/O) and writes its results in one bulk insert;
a unique constraint on (run, config) makes redelivered batches harmless. The
batch that records the last result finishes the run and applies the evidence.
A sweeper re-dispatches runs left queued and closes runs whose deadline passed.
"""

import ipaddress
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import timedelta
from functools import partial
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment
from apps.checklists.models import Severity, TemplateItem
from apps.core import events
from apps.probes import evidence, secrets, tasks
from apps.probes.kinds import KINDS, Result, net, run_kind
from apps.probes.kinds.redaction import redact_target, scrub
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun, TeamNetwork
from apps.releases import lifecycle
from apps.releases.models import Release
from apps.releases.writes import (
    ReleaseChange,
    environment_changed,
    release_change,
    release_lock,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_TIMEOUT = 20.0
MIN_TIMEOUT = 0.5
MAX_CONFIGS_PER_ENVIRONMENT = 100
MAX_CONFIGS_PER_TEAM = 500
REDISPATCH_AFTER = timedelta(seconds=30)
URL_SECRET_KINDS = ("postgres", "redis", "queue")
TOKEN_KINDS = ("http", "prometheus", "ratelimit", "k8s")
_executor: ThreadPoolExecutor | None = None
_target_slots: dict[str, threading.BoundedSemaphore] = {}
_target_slots_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """One thread pool per worker process, reused by every batch."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=BATCH_SIZE, thread_name_prefix="probe"
        )
    return _executor


def _queue_for(environment: Environment) -> str:
    zone = environment.probe_zone
    return f"probes.{zone}" if zone else "probes"


# Configuration ------------------------------------------------------------------


def _clean_options(options: object) -> dict[str, str]:
    if options in (None, ""):
        return {}
    if not isinstance(options, dict):
        raise ValidationError({"options": "Options are KEY=VALUE pairs."})
    clean = {}
    for key, value in options.items():
        key = str(key).strip()
        if not key or len(key) > 60 or not key.replace("_", "").isalnum():
            raise ValidationError({"options": f"{key!r} is not a valid option name."})
        if isinstance(value, (dict, list)) or len(str(value)) > 2000:
            raise ValidationError({"options": f"The value of {key} is too long."})
        clean[key] = str(value)
    return clean


@transaction.atomic
def probe_config_save(
    *,
    environment: Environment,
    by: User,
    name: str,
    kind: str,
    target: str,
    options: dict | None = None,
    timeout: float = 10.0,
    enabled: bool = True,
    secret: str | None = None,
    secret_env: str = "",
    verifies: list | None = None,
    severity: str | None = None,
    config: ProbeConfig | None = None,
) -> ProbeConfig:
    """Create or change a probe configuration.

    `severity` is blocking or advisory (a failing advisory probe only warns);
    None keeps what is stored (blocking for a new probe).

    `secret=None` keeps a stored secret, "" removes it, any other value replaces
    it (encrypted). Secrets never appear in the audit event. `secret_env` may
    name only a variable set aside for probes (apps/probes/secrets.py).
    """
    permissions.require(by, "manage_probes", environment.service.team)
    errors = {}
    name, target = (name or "").strip(), (target or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Give the probe a name of at most 120 characters."
    if kind not in KINDS:
        errors["kind"] = f"Choose one of: {', '.join(sorted(KINDS))}."
    if not target or len(target) > 500:
        errors["target"] = "Give a target of at most 500 characters."
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        timeout = -1
    if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        errors["timeout"] = f"Use {MIN_TIMEOUT} to {MAX_TIMEOUT:.0f} seconds."
    secret_env = (secret_env or "").strip()
    refusal = secrets.env_name_refusal(secret_env) if secret_env else None
    if refusal:
        errors["secret_env"] = refusal
    if severity is not None and severity not in Severity.values:
        errors["severity"] = "Choose blocking or advisory."
    if (secret or secret_env) and kind not in URL_SECRET_KINDS + TOKEN_KINDS:
        errors["secret"] = f"A {kind} probe takes no secret."
    if errors:
        raise ValidationError(errors)
    options = _clean_options(options)
    duplicate = ProbeConfig.objects.filter(environment=environment, name=name)
    if config is not None:
        duplicate = duplicate.exclude(pk=config.pk)
    if duplicate.exists():
        raise ValidationError({"name": "Another probe of this environment has it."})
    if config is None:
        if environment.probe_configs.count() >= MAX_CONFIGS_PER_ENVIRONMENT:
            raise ValidationError(
                f"An environment may have at most {MAX_CONFIGS_PER_ENVIRONMENT} probes."
            )
        team_id = environment.service.team_id
        if (
            ProbeConfig.objects.filter(environment__service__team_id=team_id).count()
            >= MAX_CONFIGS_PER_TEAM
        ):
            raise ValidationError(
                f"A team may have at most {MAX_CONFIGS_PER_TEAM} probes in all."
            )
        config = ProbeConfig(environment=environment)
        before = {}
    else:
        before = _config_facts(config)
    config.name, config.kind, config.target = name, kind, target
    config.options, config.timeout, config.enabled = options, timeout, enabled
    config.secret_env = secret_env
    if severity is not None:
        config.severity = severity
    if secret is not None:
        config.secret_encrypted = secrets.encrypt(secret)
        if secret:
            config.secret_env = ""
    config.save()
    if verifies is not None:
        config.verifies.set(verifies)
    environment_changed(environment.pk)
    after = _config_facts(config)
    if secret:
        after["secret"] = "changed"  # noqa: S105 (a marker, redacted anyway)
    changes_before, changes_after = audit.diff(before, after)
    if not before:
        changes_after = {"environment": environment.name, **changes_after}
    audit.record(
        actor=by,
        action="probe_config.created" if not before else "probe_config.changed",
        target=config,
        team_id=environment.service.team_id,
        before=changes_before,
        after=changes_after,
    )
    return config


def _config_facts(config: ProbeConfig) -> dict:
    return {
        "name": config.name,
        "kind": config.kind,
        "target": redact_target(config.target),
        "options": config.options,
        "timeout": config.timeout,
        "enabled": config.enabled,
        "severity": config.severity,
        "secret_env": config.secret_env,
        "has_secret": config.has_secret,
        "verifies": sorted(config.verifies.values_list("text", flat=True))
        if config.pk
        else [],
    }


def probe_configs_create_defaults(
    *, environment: Environment, template, by: User
) -> list[ProbeConfig]:
    """The default mapping: HTTP, TLS, headers and rate-limit probes on the
    environment's base URL, each verifying the default checklist's items."""
    base = environment.base_url.rstrip("/")
    if not base:
        raise ValidationError({"base_url": "Set the environment's base URL first."})
    parts = urlsplit(base)
    items = TemplateItem.objects.filter(phase__template=template)
    wanted = [
        ("Health endpoint", "http", f"{base}/health/", {}, "http"),
        ("Response times", "http", f"{base}/health/", {"samples": "5"}, None),
        ("Security headers", "headers", f"{base}/", {}, "headers"),
        ("Rate limiting", "ratelimit", f"{base}/", {}, "ratelimit"),
    ]
    if parts.scheme == "https":
        wanted.append(
            (
                "TLS certificate",
                "tls",
                f"{parts.hostname}:{parts.port or 443}",
                {},
                "tls",
            )
        )
    created = []
    for name, kind, target, options, item_kind in wanted:
        if environment.probe_configs.filter(name=name).exists():
            continue
        verified = (
            items.filter(probe_kind=item_kind)
            if item_kind
            else items.filter(text__iexact="Response times acceptable")
        )
        if name == "Health endpoint":
            verified = verified.exclude(text__iexact="Response times acceptable")
        created.append(
            probe_config_save(
                environment=environment,
                by=by,
                name=name,
                kind=kind,
                target=target,
                options=options,
                verifies=list(verified),
            )
        )
    return created


# Runs ------------------------------------------------------------------------


def allowed_networks(
    team_id: int, networks: list[TeamNetwork] | None = None
) -> list[str]:
    """Global allowed networks plus the team's internal ones, each with its ports.

    The ports are not judged here against the target's text: the probe kind
    judges every connection it makes (each redirect hop, the DSN's real port,
    a DNS server) against address and port in apps/probes/kinds/net.py.
    """
    if networks is None:
        networks = list(TeamNetwork.objects.filter(team_id=team_id))
    allowed = list(settings.PROBE_ALLOWED_NETWORKS)
    for network in networks:
        ports = [p.strip() for p in network.ports.split(",") if p.strip()]
        if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
            # An empty list would open every port, so a malformed row opens none.
            log.warning("team network %s has malformed ports; ignored", network.pk)
            continue
        allowed.append(net.network_text(network.cidr, map(int, ports)))
    return allowed


class RunRefused(ValidationError):
    """No run for a release in this status: a conflict with its state (API 409)."""


@transaction.atomic
def probe_run_start(*, release: Release, by: User | None) -> ProbeRun:
    """Record a queued run of every enabled probe of the release's environment and
    dispatch it after commit. A broker outage leaves it queued for the sweeper.

    Refuses (RunRefused) a release that is no longer open: evidence is for the
    verdict before deployment, and a run must not rewrite a closed release.
    """
    if by is not None:
        permissions.require(by, "run_probes", release.team)
    refusal = lifecycle.probe_run_refusal(release_lock(release.pk).status)
    if refusal:
        raise RunRefused(refusal)
    environment = release.environment
    configs = list(
        environment.probe_configs.filter(enabled=True)
        .order_by("id")
        .values_list("id", "timeout")
    )
    if not configs:
        raise ValidationError(
            f"{environment.name} has no enabled probes; configure some first."
        )
    waves = -(-len(configs) // BATCH_SIZE)
    longest = max(timeout for _, timeout in configs)
    run = ProbeRun.objects.create(
        release=release,
        environment=environment,
        started_by=by,
        config_ids=[pk for pk, _ in configs],
        queue=_queue_for(environment),
        environment_snapshot={
            "name": environment.name,
            "base_url": environment.base_url,
            "api_url": environment.api_url,
            "k8s_namespace": environment.k8s_namespace,
            "probe_zone": environment.probe_zone,
        },
        deadline=timezone.now() + timedelta(seconds=waves * (longest + 5) + 60),
    )
    audit.record(
        actor=by,
        actor_label="" if by else "system",
        action="probe_run.started",
        target=run,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "environment": environment.name,
            "probes": len(configs),
            "queue": run.queue,
        },
    )
    transaction.on_commit(partial(probe_run_dispatch, run.pk))
    return run


def probe_run_dispatch(run_id: int) -> bool:
    """Send a run's batches to its queue; False (and the run stays queued) when
    the broker cannot be reached."""
    run = ProbeRun.objects.get(pk=run_id)
    done = set(run.results.values_list("config_id", flat=True))
    pending = [pk for pk in run.config_ids if pk not in done]
    try:
        for start in range(0, len(pending), BATCH_SIZE):
            batch = pending[start : start + BATCH_SIZE]
            tasks.run_probe_batch.apply_async((run.pk, batch), queue=run.queue)
    except Exception as error:  # kombu raises many types for a broker outage.
        log.warning("probe run %s not dispatched: %s", run.pk, error)
        ProbeRun.objects.filter(pk=run.pk).update(
            note="The task queue is unavailable; the run will start when it returns."
        )
        return False
    ProbeRun.objects.filter(pk=run.pk).update(
        dispatched_at=timezone.now(), dispatch_count=run.dispatch_count + 1, note=""
    )
    return True


def target_host(target: str) -> str:
    """The host a probe target points at (lower case), for the per-target cap."""
    try:
        parts = urlsplit(target if "://" in target else f"//{target}")
        return (parts.hostname or target).lower()
    except ValueError:
        return target.lower()


def _target_slot(target: str) -> threading.BoundedSemaphore:
    """The semaphore limiting this process's concurrent probes of one host.

    However many probes of however many runs point at one host, at most
    PROBE_MAX_CONCURRENT_PER_TARGET of them talk to it at once per worker
    process, so Shipshape cannot be made into a load generator against
    someone else's server; the others wait their turn.
    """
    host = target_host(target)
    with _target_slots_lock:
        slot = _target_slots.get(host)
        if slot is None:
            slot = threading.BoundedSemaphore(settings.PROBE_MAX_CONCURRENT_PER_TARGET)
            _target_slots[host] = slot
    return slot


def probe_config_execute(
    config: ProbeConfig,
    *,
    team_id: int | None = None,
    networks: list[TeamNetwork] | None = None,
) -> Result:
    """Run one configuration's probe now and return its Result; never raises.

    The one way to run a configuration, for a run's batch, *Test this probe*, a
    schedule and a verification window alike. The secret comes from a variable
    set aside for probes or the stored one; a refused or missing one is an
    `error` and nothing is sent. It travels as the DSN's password or as a bearer
    token, which the kinds send to the target's own origin only. The egress guard
    allows public addresses plus the team's networks (`networks`, when the
    caller has read them, saves the query); at most
    PROBE_MAX_CONCURRENT_PER_TARGET probes of one host run at once in this
    process; the kind keeps to the configuration's timeout. The secret is
    scrubbed from what comes back and the summary cut to 2,000 characters.
    Recording the Result is the caller's.
    """
    try:
        secret = secrets.resolve(
            secret_env=config.secret_env, secret_encrypted=config.secret_encrypted
        )
    except secrets.SecretUnavailable as error:
        return Result.error(str(error))
    if team_id is None:
        team_id = config.environment.service.team_id
    allow = allowed_networks(team_id, networks)
    target, options = config.target, dict(config.options)
    if secret and config.kind in URL_SECRET_KINDS:
        target = _with_password(target, secret)
    elif secret and config.kind in TOKEN_KINDS:
        options["token"] = secret
    with _target_slot(config.target):
        result = run_kind(
            config.kind, target, options, timeout=config.timeout, allow_private=allow
        )
    if secret:
        # The kinds mask the secrets they were given; this holds for any path.
        result = replace(
            result,
            summary=scrub(result.summary, [secret]),
            observed=scrub(result.observed, [secret]),
        )
    return replace(result, summary=result.summary[:2000])


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        user, host = parts.netloc.rsplit("@", 1)
        user = user.split(":", 1)[0]
    else:
        user, host = "", parts.netloc
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def probe_batch_execute(*, run_id: int, config_ids: list[int]) -> int:
    """Run a batch of a run's probes and record one result each; idempotent.

    Returns how many results this call recorded (0 on a redelivery).
    """
    run = ProbeRun.objects.select_related("release").get(pk=run_id)
    if run.finished:
        return 0
    ProbeRun.objects.filter(pk=run_id, status=ProbeRun.Status.QUEUED).update(
        status=ProbeRun.Status.RUNNING
    )
    done = set(
        run.results.filter(config_id__in=config_ids).values_list("config_id", flat=True)
    )
    configs = list(
        ProbeConfig.objects.filter(pk__in=[c for c in config_ids if c not in done])
    )
    team_id = run.release.team_id
    networks = list(TeamNetwork.objects.filter(team_id=team_id))
    futures = [
        (
            config,
            _pool().submit(
                probe_config_execute, config, team_id=team_id, networks=networks
            ),
        )
        for config in configs
    ]
    rows = [
        _result_row(run_id, config, _outcome(future, config))
        for config, future in futures
    ]
    ProbeResult.objects.bulk_create(rows, ignore_conflicts=True)
    probe_run_finish_if_complete(run_id=run_id)
    return len(rows)


def _result_row(run_id: int, config: ProbeConfig, result: Result) -> ProbeResult:
    return ProbeResult(
        run_id=run_id,
        config=config,
        name=config.name,
        kind=config.kind,
        target=redact_target(config.target),
        **asdict(result),
    )


def _outcome(future: Future, config: ProbeConfig) -> Result:
    try:
        # run_kind enforces the probe's own deadline; this wait is a backstop.
        return future.result(timeout=config.timeout + 5)
    except Exception as error:
        return Result.error(
            f"the probe did not finish: {type(error).__name__}",
            duration_ms=(config.timeout + 5) * 1000,
        )


RUN_COUNTS = ("passed", "warned", "failed", "errored")


@transaction.atomic
def probe_run_finish_if_complete(*, run_id: int, lost_reason: str = "") -> bool:
    """Finish the run when every probe has a result (or, with lost_reason, record
    the missing ones as errors first). Only one caller finishes a run."""
    release_id = ProbeRun.objects.values_list("release_id", flat=True).get(pk=run_id)
    with release_change(release_id) as change:
        return _finish_if_complete(change, run_id=run_id, lost_reason=lost_reason)


def _finish_if_complete(
    change: ReleaseChange, *, run_id: int, lost_reason: str
) -> bool:
    run = ProbeRun.objects.select_for_update().select_related("release").get(pk=run_id)
    if run.finished:
        change.unchanged()
        return False
    have = set(run.results.values_list("config_id", flat=True))
    missing = [pk for pk in run.config_ids if pk not in have]
    if missing and not lost_reason:
        change.unchanged()
        return False
    if missing:
        configs = ProbeConfig.objects.filter(pk__in=missing)
        lost = Result.error(lost_reason)
        ProbeResult.objects.bulk_create(
            [_result_row(run.pk, config, lost) for config in configs],
            ignore_conflicts=True,
        )
    before = {
        "status": run.status,
        **{field: getattr(run, field) for field in RUN_COUNTS},
    }
    counts = run.results.aggregate(
        passed=Count("id", filter=Q(status="pass")),
        warned=Count("id", filter=Q(status="warn")),
        failed=Count("id", filter=Q(status="fail")),
        errored=Count("id", filter=Q(status="error")),
    )
    for field, value in counts.items():
        setattr(run, field, value)
    if lost_reason:
        run.status = ProbeRun.Status.ERRORED
    elif counts["failed"]:
        run.status = ProbeRun.Status.FAILED
    elif counts["errored"]:
        run.status = ProbeRun.Status.ERRORED
    elif counts["warned"]:
        run.status = ProbeRun.Status.WARNED
    else:
        run.status = ProbeRun.Status.PASSED
    run.finished_at = timezone.now()
    run.note = lost_reason[:300]
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "passed",
            "warned",
            "failed",
            "errored",
            "note",
        ]
    )
    audit.record(
        actor=None,
        actor_label=f"probe run #{run.pk}",
        action="probe_run.finished",
        target=run,
        team_id=run.release.team_id,
        release_id=run.release_id,
        before=before,
        after={"status": run.status, **counts},
    )
    evidence.apply(run)
    events.publish("probe_run.finished", team_id=run.release.team_id, run=run)
    return True


def probe_runs_sweep() -> dict:
    """Re-dispatch runs still queued after 30 s; close runs past their deadline."""
    now = timezone.now()
    expired = list(
        ProbeRun.objects.filter(
            status__in=[ProbeRun.Status.QUEUED, ProbeRun.Status.RUNNING],
            deadline__lt=now,
        ).values_list("pk", flat=True)
    )
    for run_id in expired:
        probe_run_finish_if_complete(
            run_id=run_id,
            lost_reason="no result before the run's deadline: the worker was lost "
            "or the task queue was unavailable",
        )
    stale = list(
        ProbeRun.objects.filter(
            status=ProbeRun.Status.QUEUED, created_at__lt=now - REDISPATCH_AFTER
        )
        .filter(
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
        )
        .values_list("pk", flat=True)
    )
    redispatched = sum(1 for run_id in stale if probe_run_dispatch(run_id))
    return {"expired": len(expired), "redispatched": redispatched}


def probe_test_config(*, config: ProbeConfig, by: User) -> Result:
    """Run one configured probe now, without recording a result; audited."""
    team = config.environment.service.team
    permissions.require(by, "run_probes", team)
    result = probe_config_execute(config, team_id=team.pk)
    audit.record(
        actor=by,
        action="probe_config.tested",
        target=config,
        team_id=team.pk,
        after={"status": result.status, "summary": result.summary[:300]},
    )
    return result


@transaction.atomic
def team_network_add(*, team, cidr: str, ports: str = "", note: str = "", by: User):
    """Let a team's probes reach an internal network; metadata stays refused."""
    permissions.require(by, "manage_members", team)
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise ValidationError({"cidr": f"{cidr!r} is not a network."}) from None
    for port in (p.strip() for p in ports.split(",") if p.strip()):
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError({"ports": f"{port!r} is not a port."})
    row = TeamNetwork.objects.create(
        team=team, cidr=str(network), ports=ports, note=note
    )
    audit.record(
        actor=by,
        action="team_network.added",
        target=row,
        team_id=team.pk,
        after={"cidr": str(network), "ports": ports, "note": note},
    )
    return row
