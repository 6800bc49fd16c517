"""Readiness needs fresh probe evidence: every enabled blocking probe of the
release's environment must pass in a run of this release younger than
PROBE_EVIDENCE_MAX_AGE; never run or too old is a blocker, not a pass."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.policy import services as policy
from apps.probes.models import ProbeResult
from apps.readiness.readiness import compute_readiness
from apps.releases import services
from config.env import ConfigurationError, env_duration
from tests import factories
from tests.api.conftest import make_ready
from tests.policy.conftest import finished_run, probe_config


@pytest.fixture
def ready_release(release, lead):
    return make_ready(release, lead)


@pytest.fixture
def second_lead(team):
    return factories.member(team, "lead")


def _texts(readiness, kind: str) -> list[str]:
    return [b.text for b in readiness.blockers if b.type == kind]


def test_enabled_probes_that_never_ran_block_readiness(ready_release, environment):
    for name in ("Health endpoint", "Security headers", "TLS certificate"):
        probe_config(environment, name)

    readiness = compute_readiness(ready_release)

    assert readiness.ready is False
    assert _texts(readiness, "evidence") == [
        "Health endpoint, Security headers and TLS certificate: no evidence yet"
    ]
    assert (readiness.probes_passing, readiness.probes_total) == (0, 3)
    assert readiness.probes_not_run == 3


def test_marking_ready_is_refused_without_evidence(ready_release, environment, lead):
    probe_config(environment, "Health endpoint")

    with pytest.raises(ValidationError, match="Health endpoint: no evidence yet"):
        services.release_transition(release=ready_release, target="ready", by=lead)


def test_the_card_counts_configured_probes_not_results(
    ready_release, environment, client, engineer
):
    health = probe_config(environment, "Health endpoint")
    finished_run(ready_release, [(health, "pass", "200 OK")])
    probe_config(environment, "Security headers")
    probe_config(environment, "TLS certificate")
    client.force_login(engineer)

    page = client.get(ready_release.get_absolute_url()).text
    dashboard = client.get(reverse("releases:dashboard")).text

    assert "<strong>1/3</strong> probes passing, 2 not run" in page
    assert "<strong>1/3</strong> probes passing, 2 not run" in dashboard
    assert "Not ready: 1 blocker" in page
    assert "Security headers and TLS certificate: no evidence yet" in page


def test_evidence_older_than_the_maximum_age_blocks(ready_release, environment):
    health = probe_config(environment, "Health endpoint")
    run = finished_run(ready_release, [(health, "pass", "200 OK")])
    recorded = run.results.get().created_at
    assert compute_readiness(ready_release).ready is True

    later = compute_readiness(ready_release, at=recorded + timedelta(hours=30))

    assert later.ready is False
    assert _texts(later, "evidence") == [
        "Health endpoint: evidence is 30 h old; run probes again"
    ]
    assert (later.probes_passing, later.probes_stale) == (0, 1)


def test_the_maximum_age_is_a_setting(ready_release, environment, settings):
    settings.PROBE_EVIDENCE_MAX_AGE = timedelta(minutes=30)
    health = probe_config(environment, "Health endpoint")
    finished_run(ready_release, [(health, "pass", "200 OK")])
    ProbeResult.objects.update(created_at=timezone.now() - timedelta(minutes=45))

    assert _texts(compute_readiness(ready_release), "evidence") == [
        "Health endpoint: evidence is 45 min old; run probes again"
    ]


def test_a_deployed_releases_evidence_is_judged_at_its_deployment(
    ready_release, environment, lead
):
    health = probe_config(environment, "Health endpoint")
    finished_run(ready_release, [(health, "pass", "200 OK")])
    services.release_transition(release=ready_release, target="ready", by=lead)
    deployed = services.release_transition(
        release=ready_release, target="deployed", by=lead
    )

    a_week_later = compute_readiness(deployed, at=timezone.now() + timedelta(days=7))

    assert a_week_later.ready is True


def test_disabled_and_advisory_probes_need_no_evidence(ready_release, environment):
    probe_config(environment, "Old health check", enabled=False)
    probe_config(environment, "Docs site", severity="advisory")

    readiness = compute_readiness(ready_release)

    assert readiness.ready is True
    assert readiness.probes_total == 0


def test_an_approved_probe_waiver_also_covers_missing_evidence(
    ready_release, environment, lead, second_lead
):
    health = probe_config(environment, "Health endpoint")
    waiver = policy.waiver_request(
        release=ready_release,
        blocker_type="probe",
        blocker_id=health.pk,
        reason="The health endpoint ships with this release",
        expires_at=timezone.now() + timedelta(hours=2),
        by=lead,
    )
    policy.waiver_approve(waiver=waiver, by=second_lead)

    readiness = compute_readiness(ready_release)

    assert readiness.ready is True
    assert [w.blocker.text for w in readiness.waived] == [
        "Health endpoint: no evidence yet"
    ]


def test_the_deployment_record_explains_how_evidence_counts(
    ready_release, client, auditor
):
    client.force_login(auditor)

    page = client.get(reverse("records:record", args=[ready_release.pk])).text

    assert "How evidence counts" in page
    assert "older than 24 h (<code>PROBE_EVIDENCE_MAX_AGE</code>)" in page


def test_many_probes_without_evidence_are_one_blocker_naming_a_few(
    ready_release, environment
):
    for n in range(5):
        probe_config(environment, f"probe-{n}")

    readiness = compute_readiness(ready_release)

    assert [b.as_dict() for b in readiness.blockers] == [
        {
            "type": "evidence",
            "id": "not_run",
            "text": "probe-0, probe-1, probe-2 and 2 more: no evidence yet",
        }
    ]
    assert readiness.probes_not_run == 5


@pytest.mark.parametrize(
    ("raw", "seconds"), [("", 86400), ("3600", 3600), ("30m", 1800), ("2d", 172800)]
)
def test_the_maximum_age_reads_seconds_or_a_unit(monkeypatch, raw, seconds):
    monkeypatch.setenv("PROBE_EVIDENCE_MAX_AGE", raw)

    age = env_duration("PROBE_EVIDENCE_MAX_AGE", timedelta(hours=24))

    assert age == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["soon", "0", "-1h", "1.5h", "24 hours"])
def test_a_bad_maximum_age_stops_startup_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("PROBE_EVIDENCE_MAX_AGE", raw)

    with pytest.raises(ConfigurationError, match="PROBE_EVIDENCE_MAX_AGE must be"):
        env_duration("PROBE_EVIDENCE_MAX_AGE", timedelta(hours=24))
