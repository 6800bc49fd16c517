"""Probe runs: recorded against releases, executed by real Celery workers.

Worker tests start `celery worker` processes against real Redis and the test's
PostgreSQL database; targets are real HTTP servers on loopback.
"""

import json
import time

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.probes import services, tasks
from apps.probes.models import ProbeResult, ProbeRun
from apps.readiness.readiness import compute_readiness
from apps.releases import services as releases
from apps.signoffs import services as signoffs
from tests import factories
from tests.probes.conftest import configure, use_broker, wait_for


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Start a run and execute what it queues on commit, in this process."""

    def start(release, by):
        with django_capture_on_commit_callbacks(execute=True):
            run = services.probe_run_start(release=release, by=by)
        run.refresh_from_db()
        return run

    return start


@pytest.fixture
def zone_release(transactional_db, template):
    """A release whose environment probes go to a queue of their own."""
    team = factories.TeamFactory()
    lead = factories.member(team, "lead")
    environment = factories.EnvironmentFactory(
        service__team=team, probe_zone=f"t{time.monotonic_ns()}"
    )
    release = releases.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="5.0.0",
        by=lead,
    )
    return release, lead


@pytest.mark.postgres
def test_worker_runs_probes_ticks_and_blocks_items(
    zone_release, template, target_url, start_worker
):
    release, lead = zone_release
    environment = release.environment
    configure(
        environment,
        lead,
        template,
        "Health",
        f"{target_url}/ok",
        ["Health endpoints responding"],
    )
    configure(
        environment,
        lead,
        template,
        "Cache",
        f"{target_url}/fail",
        ["Redis caching working"],
    )
    start_worker([f"probes.{environment.probe_zone}"])
    run = services.probe_run_start(release=release, by=lead)
    run = wait_for(
        lambda: ProbeRun.objects.filter(pk=run.pk, finished_at__isnull=False).first(),
        timeout=60,
    )
    assert run.status == "failed"
    assert (run.passed, run.failed) == (1, 1)
    health = release.items.get(text="Health endpoints responding")
    assert health.state == "done"
    assert health.evidence_result_id == run.results.get(name="Health").pk
    cache = release.items.get(text="Redis caching working")
    assert cache.state == "blocked"
    assert cache.note.startswith("Cache: ")
    readiness = compute_readiness(release)
    probe_blockers = [b for b in readiness.blockers if b.type == "probe"]
    assert [b.text.split(":")[0] for b in probe_blockers] == ["Cache"]
    assert (
        AuditEvent.objects.filter(
            action="probe_run.finished", release_id=release.pk
        ).count()
        == 1
    )


@pytest.mark.postgres
def test_killed_worker_loses_and_duplicates_nothing(
    zone_release, template, target_url, start_worker
):
    release, lead = zone_release
    environment = release.environment
    for n in range(100):
        configure(environment, lead, template, f"slow-{n:03}", f"{target_url}/slow")
    queue = f"probes.{environment.probe_zone}"
    first = start_worker([queue])
    run = services.probe_run_start(release=release, by=lead)
    wait_for(lambda: ProbeRun.objects.get(pk=run.pk).status == "running", timeout=30)
    first.kill()
    killed_at = time.monotonic()
    recorded_before_restart = ProbeResult.objects.filter(run=run).count()
    assert recorded_before_restart < 100
    start_worker([queue])
    run = wait_for(
        lambda: ProbeRun.objects.filter(pk=run.pk, finished_at__isnull=False).first(),
        timeout=90,
    )
    recovered_in = time.monotonic() - killed_at
    results = ProbeResult.objects.filter(run=run)
    assert results.count() == 100
    assert results.values("config").distinct().count() == 100
    # /slow answers after 0.5 s, at the latency budget: pass or warn, never fail.
    assert run.status in ("passed", "warned")
    assert (run.failed, run.errored) == (0, 0)
    print(f"kill -9 during 100 probes: recovered in {recovered_in:.1f} s")


@pytest.mark.postgres
def test_runs_go_only_to_their_zones_workers(
    zone_release, template, target_url, start_worker
):
    release, lead = zone_release
    configure(release.environment, lead, template, "Health", f"{target_url}/ok")
    start_worker(["probes.elsewhere"])
    run = services.probe_run_start(release=release, by=lead)
    time.sleep(3)
    assert ProbeRun.objects.get(pk=run.pk).status == "queued"
    start_worker([f"probes.{release.environment.probe_zone}"])
    wait_for(lambda: ProbeRun.objects.get(pk=run.pk).status == "passed", timeout=60)


def test_redelivered_batch_records_nothing_twice(
    run_now, release, lead, template, target_url
):
    config = configure(
        release.environment, lead, template, "Health", f"{target_url}/ok"
    )
    run = run_now(release, lead)
    assert run.results.count() == 1
    assert tasks.run_probe_batch(run.pk, [config.pk]) == 0
    services.probe_batch_execute(run_id=run.pk, config_ids=[config.pk])
    assert ProbeResult.objects.filter(run=run).count() == 1
    assert AuditEvent.objects.filter(action="probe_run.finished").count() == 1


def test_hanging_target_fails_at_its_timeout(
    run_now, release, lead, template, target_url
):
    configure(
        release.environment, lead, template, "Hang", f"{target_url}/hang", timeout=1.0
    )
    started = time.monotonic()
    run = run_now(release, lead)
    elapsed = time.monotonic() - started
    result = ProbeResult.objects.get(run=run)
    assert result.status == "fail"
    assert "timed out" in result.summary or "deadline" in result.summary
    assert elapsed < 1.0 + 1.5


@pytest.mark.postgres
def test_secrets_never_reach_results_or_audit(run_now, release, lead, template):
    secret = "s3cr3t-Value-7781"
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="DB",
        kind="postgres",
        target="postgresql://postgres@127.0.0.1:5432/postgres",
        secret=secret,
    )
    run = run_now(release, lead)
    result = ProbeResult.objects.get(run=run)
    assert result.status == "pass", result.summary
    stored = json.dumps(list(ProbeResult.objects.values()), default=str)
    stored += json.dumps(list(AuditEvent.objects.values()), default=str)
    from apps.probes.models import ProbeConfig

    stored += json.dumps(list(ProbeConfig.objects.values()), default=str)
    assert secret not in stored


def test_secret_from_a_missing_variable_is_an_error_result(
    run_now, release, lead, template
):
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="DB",
        kind="postgres",
        target="postgresql://postgres@127.0.0.1:5432/postgres",
        secret_env="SHIPSHAPE_PROBE_SECRET_TEST_UNSET",
    )
    run = run_now(release, lead)
    result = ProbeResult.objects.get(run=run)
    assert result.status == "error"
    assert "SHIPSHAPE_PROBE_SECRET_TEST_UNSET is not set" in result.summary
    assert run.status == "errored"


def test_unavailable_queue_keeps_the_run_queued_until_the_sweeper(
    run_now, release, lead, template, target_url, settings
):
    configure(release.environment, lead, template, "Health", f"{target_url}/ok")
    use_broker("redis://127.0.0.1:1/0", eager=False)
    try:
        run = run_now(release, lead)
    finally:
        use_broker("memory://", eager=True)
    run.refresh_from_db()
    assert run.status == "queued"
    assert "queue is unavailable" in run.note
    assert run.results.count() == 0
    ProbeRun.objects.filter(pk=run.pk).update(
        created_at=run.created_at - services.REDISPATCH_AFTER * 2
    )
    assert services.probe_runs_sweep() == {"expired": 0, "redispatched": 1}
    run.refresh_from_db()
    assert run.status == "passed"


def test_lost_run_is_errored_after_its_deadline(release, lead, template, target_url):
    from django.utils import timezone

    config = configure(
        release.environment, lead, template, "Health", f"{target_url}/ok"
    )
    run = ProbeRun.objects.create(
        release=release,
        environment=release.environment,
        config_ids=[config.pk],
        deadline=timezone.now(),
    )
    assert services.probe_runs_sweep()["expired"] == 1
    run.refresh_from_db()
    assert run.status == "errored"
    assert run.results.get().summary.startswith("no result before the run's deadline")


def test_run_needs_configured_probes_and_permission(release, lead, auditor):
    with pytest.raises(ValidationError, match="no enabled probes"):
        services.probe_run_start(release=release, by=lead)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.probe_run_start(release=release, by=auditor)
    assert ProbeRun.objects.count() == 0


def test_approval_goes_stale_when_a_probe_starts_failing(
    run_now, release, lead, engineer, template, target_url
):
    config = configure(
        release.environment,
        lead,
        template,
        "Health",
        f"{target_url}/ok",
        ["Health endpoints responding"],
    )
    run_now(release, lead)
    signoffs.signoff_record(
        release=release, role_key="operations", decision="approve", by=engineer
    )
    assert "operations" not in [b.id for b in compute_readiness(release).blockers]
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/fail",
        config=config,
    )
    run_now(release, lead)
    stale = [b for b in compute_readiness(release).blockers if b.id == "operations"]
    assert len(stale) == 1
    assert "stale" in stale[0].text


def test_config_changes_are_audited_without_the_secret(release, lead):
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Redis",
        kind="redis",
        target="redis://127.0.0.1:6379/0",
        secret="hunter2-redis",
    )
    event = AuditEvent.objects.get(action="probe_config.created")
    assert event.after["secret"] == "***"
    assert "hunter2-redis" not in json.dumps(event.after)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "gopher"}, "kind"),
        ({"target": ""}, "target"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"options": {"bad key": "x"}}, "options"),
        ({"secret_env": "NOT-A-VAR"}, "secret_env"),
    ],
)
def test_bad_configurations_are_refused(release, lead, fields, error):
    values = {"name": "P", "kind": "http", "target": "http://127.0.0.1/"} | fields
    with pytest.raises(ValidationError) as caught:
        services.probe_config_save(environment=release.environment, by=lead, **values)
    assert error in caught.value.message_dict
