"""The delivery metrics on a fixed data set, every value worked out by hand here.

The period is the two weeks from Monday 2 March 2026 00:00 UTC to Monday 16
March 00:00 UTC (14 days; weeks W1 = 2 March, W2 = 9 March). Production
deploys of the team ("shop" and "search"), in deploy order:

  A  shop    Mon 2 Mar 10:00, finished 10:10  planned; commits 24 h and 6 h before
            its finish; created 1 Mar 10:00, ready 2 Mar 08:00; remediated by B
  B  shop    Mon 2 Mar 11:00, finished 11:10  rollback remediating A; no commits;
            caused incident I1 (started 12:10, mitigated 14:10); remediated by C
  C  shop    Tue 3 Mar 09:00, finished 09:10  rollback remediating B (a rollback of
            a rollback); remediates I1 (user-facing)
  D  shop    Wed 4 Mar 10:00, finished 10:20  planned, by override; commit 2 h
            before; created 3 Mar 10:00, ready 4 Mar 06:00; verification failed
            11:20; never recovered
  S1 search  Thu 5 Mar 10:00, finished       planned; commit 4 h before
  E  shop    Tue 10 Mar 09:00 (no finish)     hotfix with a waiver; commit 12 h
            before; created 06:00, ready 08:00; remediates I2 (no cause)
  F  shop    Wed 11 Mar 10:00                 deploy failed (not a success)
  H  shop    Mon 16 Mar 00:30 +02:00 = Sun 15 Mar 22:30 UTC: in W2; no commits

Left out: J at Sun 1 Mar 23:59 UTC and K at Mon 16 Mar 00:00 UTC (the edges),
and X, a staging deploy.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from apps.incidents.models import Incident
from apps.insights import metrics
from apps.insights.metrics import Scope
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases.models import Release, ReleaseCommit, ReleaseItem
from apps.signoffs.models import SignOff
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SINCE = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 16, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, *, offset: int = 0) -> datetime:
    return datetime(
        2026, 3, day, hour, minute, tzinfo=timezone(timedelta(hours=offset))
    )


def ship(environment, template, lead, version, deployed, **fields) -> Release:
    """A stored release deployed at `deployed`; `fields` set the rest as stored."""
    commits = fields.pop("commits", [])
    created = fields.pop("created", deployed - timedelta(hours=1))
    release = factories.shipped(
        environment, template, lead, version, deployed, **fields
    )
    Release.objects.filter(pk=release.pk).update(created_at=created)
    for number, committed in enumerate(commits):
        ReleaseCommit.objects.create(
            release=release, sha=f"{release.pk:04x}{number:04x}", committed_at=committed
        )
    release.refresh_from_db()
    return release


@pytest.fixture
def data(team, template, lead):
    shop = factories.EnvironmentFactory(
        service__team=team, service__name="shop", name="production", production=True
    )
    search = factories.EnvironmentFactory(
        service__team=team, service__name="search", name="production", production=True
    )
    staging = factories.EnvironmentFactory(service=shop.service, name="staging")
    a = ship(
        shop,
        template,
        lead,
        "A",
        at(2, 10),
        deploy_finished_at=at(2, 10, 10),
        commits=[at(1, 10, 10), at(2, 4, 10)],
        created=at(1, 10),
        ready_at=at(2, 8),
    )
    b = ship(
        shop,
        template,
        lead,
        "B",
        at(2, 11),
        deploy_finished_at=at(2, 11, 10),
        kind="rollback",
        remediates=a,
    )
    c = ship(
        shop,
        template,
        lead,
        "C",
        at(3, 9),
        deploy_finished_at=at(3, 9, 10),
        kind="rollback",
        remediates=b,
    )
    Incident.objects.create(
        team=team,
        service=shop.service,
        title="I1",
        started_at=at(2, 12, 10),
        mitigated_at=at(2, 14, 10),
        caused_by=b,
        remediated_by=c,
    )
    d = ship(
        shop,
        template,
        lead,
        "D",
        at(4, 10),
        deploy_finished_at=at(4, 10, 20),
        commits=[at(4, 8, 20)],
        created=at(3, 10),
        ready_at=at(4, 6),
        override_at=at(4, 10),
        override_status="deployed",
        override_by=lead,
    )
    factories.VerificationWindowFactory(
        release=d, outcome="failed", started_at=at(4, 10, 30), ends_at=at(4, 11, 20)
    )
    factories.VerificationWindowFactory(
        release=a, outcome="passed", started_at=at(2, 10, 10), ends_at=at(2, 10, 40)
    )
    ship(
        search,
        template,
        lead,
        "S1",
        at(5, 10),
        deploy_finished_at=at(5, 10),
        commits=[at(5, 6)],
    )
    e = ship(
        shop,
        template,
        lead,
        "E",
        at(10, 9),
        kind="hotfix",
        commits=[at(9, 21)],
        created=at(10, 6),
        ready_at=at(10, 8),
        deploy_waivers=[{"type": "probe", "id": "7", "waiver": 1}],
    )
    Incident.objects.create(
        team=team,
        service=shop.service,
        title="I2",
        started_at=at(10, 7),
        remediated_by=e,
    )
    ship(shop, template, lead, "F", at(11, 10), deploy_result="failed")
    ship(shop, template, lead, "H", at(16, 0, 30, offset=2))
    ship(shop, template, lead, "J", at(1, 23, 59), kind="hotfix")
    ship(shop, template, lead, "K", at(16, 0))
    ship(staging, template, lead, "X", at(4, 12))
    return {
        "shop": shop,
        "search": search,
        "staging": staging,
        "a": a,
        "d": d,
        "h": Release.objects.get(version="H"),
        "lead": lead,
    }


def test_the_five_keys_of_the_fixed_data_set(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        found = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))

    frequency = found["deployment_frequency"]
    # Successful production deploys A B C D S1 E H = 7 in 14 days; F failed.
    assert (frequency["numerator"], frequency["denominator"]) == (7, 14)
    assert frequency["value"] == 0.5
    assert frequency["not_succeeded"] == 1
    # Days 2, 3, 4, 5, 10, 15 March = 6 deploy days in 2 weeks.
    assert frequency["deployment_days_per_week"] == 3.0
    # Gaps 1, 22, 25, 24, 119, 133.5 h: median of 22 24 | 25 ... = 24.5.
    assert frequency["median_hours_between_deploys"] == 24.5

    lead = found["change_lead_time"]
    # Commits: A 24 and 6, D 2, S1 4, E 12 (E has no finish: its deploy time).
    assert (lead["median"], lead["p75"], lead["sample_size"]) == (6.0, 12.0, 5)
    assert lead["p90"] == pytest.approx(19.2)  # 12 + 0.6 × (24 − 12)
    # First commits only: A 24, D 2, S1 4, E 12: median of 4 and 12.
    assert lead["first_commit"]["median"] == 8.0
    assert lead["first_commit"]["fallback"] is True
    assert lead["deploys_without_commits"] == 3  # B, C, H

    fail = found["change_fail_rate"]
    # A (remediated by B), B (remediated by C, caused I1), D (verification).
    assert (fail["numerator"], fail["denominator"]) == (3, 7)
    assert fail["value"] == pytest.approx(3 / 7)
    assert fail["failed_because"] == {"incident": 1, "remediated": 2, "verification": 1}

    recovery = found["recovery_time"]
    # A: 10:10 (its finish, an estimate) → 11:10 (B finished) = 1 h.
    # B: 12:10 (I1 started) → 14:10 (I1 mitigated, before C) = 2 h.
    # D: never recovered.
    assert (recovery["median"], recovery["sample_size"]) == (1.5, 2)
    assert (recovery["estimated"], recovery["unrecovered"]) == (1, 1)

    rework = found["rework_rate"]
    # C fixed I1, E fixed I2 (which has no cause); B fixed no incident. All 8
    # production deploys (F included) are the denominator.
    assert (rework["numerator"], rework["denominator"]) == (2, 8)
    assert rework["value"] == 0.25


def test_the_weekly_series_put_each_deploy_in_its_utc_week(data):
    found = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))

    assert found["deployment_frequency"]["series"] == [
        {"week": "2026-03-02", "deploys": 5, "deploy_days": 4},
        # E, and H (Monday 00:30 at +02:00 is Sunday in UTC); F failed.
        {"week": "2026-03-09", "deploys": 2, "deploy_days": 2},
    ]
    assert found["change_fail_rate"]["series"] == [
        {"week": "2026-03-02", "change_fail_rate": 0.6, "failed": 3, "deploys": 5},
        {"week": "2026-03-09", "change_fail_rate": 0.0, "failed": 0, "deploys": 2},
    ]
    assert [
        r["lead_time_median_hours"] for r in found["change_lead_time"]["series"]
    ] == [
        5.0,  # 24, 6, 2, 4
        12.0,
    ]
    assert [r["rework_rate"] for r in found["rework_rate"]["series"]] == [
        pytest.approx(1 / 5),
        pytest.approx(1 / 3),
    ]


def test_per_service_values_and_their_spread(data):
    found = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))

    rows = {row["service_name"]: row for row in found["by_service"]}
    assert rows["shop"]["deploys"] == 6
    assert rows["shop"]["change_fail_rate"] == pytest.approx(3 / 6)
    assert rows["search"]["deploys"] == 1
    assert rows["search"]["change_fail_rate"] == 0.0
    assert rows["search"]["change_lead_time"] == 4.0
    assert found["spread"]["change_fail_rate"] == {
        "min": 0.0,
        "median": 0.25,
        "max": 0.5,
        "services": 2,
    }


def test_the_readiness_metrics_of_the_fixed_data_set(data, team, lead):
    a, d = data["a"], data["d"]
    for release, role, decision, hours in (
        (a, "QA", "approve", 6),
        (d, "QA", "approve", 10),
        (d, "Security", "reject", 1),
    ):
        signoff = SignOff.objects.create(
            release=release,
            role_key=role.lower(),
            role_name=role,
            user=lead,
            decision=decision,
        )
        SignOff.objects.filter(pk=signoff.pk).update(
            created_at=release.created_at + timedelta(hours=hours)
        )
    for position, (release, text, hours, state) in enumerate(
        (
            (a, "Backups verified", 10, "done"),
            (d, "Backups verified", 6, "done"),
            (d, "Load test", 18, "blocked"),
        )
    ):
        ReleaseItem.objects.create(
            release=release,
            position=position,
            phase="pre_deployment",
            phase_title="Before",
            text=text,
            state=state,
            changed_at=release.created_at + timedelta(hours=hours),
        )
    config = ProbeConfig.objects.create(
        environment=data["shop"], name="health", kind="http", target="http://x/"
    )
    for minute, status in enumerate(["pass", "fail", "pass", "warn", "pass", "fail"]):
        run = ProbeRun.objects.create(
            release=a, environment=data["shop"], started_by=lead, deadline=UNTIL
        )
        result = ProbeResult.objects.create(
            run=run,
            config=config,
            name="health",
            kind="http",
            target="http://x/",
            status=status,
            summary="",
            duration_ms=1,
        )
        ProbeResult.objects.filter(pk=result.pk).update(created_at=at(3, 12, minute))

    readiness = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))["readiness"]

    # Created → ready: A 22 h, D 20 h, E 2 h. Ready → deployed: 2, 4, 1 h.
    assert readiness["created_to_ready"]["median"] == 20.0
    assert readiness["ready_to_deployed"]["median"] == 2.0
    # QA approvals 6 h and 10 h after creation; the rejection does not count.
    assert readiness["signoff_latency"] == {
        "QA": {"median_hours": 8.0, "sample_size": 2}
    }
    assert readiness["share"]["override"] == {
        "value": pytest.approx(1 / 7),
        "numerator": 1,
        "denominator": 7,
    }
    assert readiness["share"]["waivers"]["numerator"] == 1
    assert readiness["share"]["emergency"]["numerator"] == 0
    # D's window failed, A's passed.
    assert readiness["verification_failure_rate"] == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }
    assert readiness["longest_blocking_items"] == [
        {
            "text": "Load test",
            "median_hours": 18.0,
            "sample_size": 1,
            "still_blocked": 1,
        },
        {
            "text": "Backups verified",
            "median_hours": 8.0,
            "sample_size": 2,
            "still_blocked": 0,
        },
    ]
    # pass fail pass (warn) pass fail: three flips among five pass/fail results.
    assert readiness["probe_flakiness"] == [
        {"probe": config.pk, "name": "health", "results": 5, "flips": 3}
    ]
    # Fully ready: A B C S1 H, of which A and B failed; D (override) failed,
    # E (waiver) did not.
    assert readiness["change_fail_rate_by_readiness"] == {
        "fully_ready": {"value": 0.4, "numerator": 2, "denominator": 5},
        "override_or_waivers": {"value": 0.5, "numerator": 1, "denominator": 2},
    }


def test_a_fix_deployed_to_staging_does_not_fail_the_production_deploy(
    data, template, lead
):
    ship(
        data["staging"],
        template,
        lead,
        "H-fix",
        at(15, 23),
        kind="hotfix",
        remediates=data["h"],
    )

    found = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))

    # Still A, B and D; the staging hotfix is not a production deploy either.
    assert found["change_fail_rate"]["numerator"] == 3
    assert found["deployment_frequency"]["numerator"] == 7


def test_an_empty_period_has_no_values_and_zero_counts(data):
    since = datetime(2026, 6, 1, tzinfo=UTC)
    found = metrics.delivery_metrics(Scope(since=since, until=since + timedelta(7)))

    assert found["deployment_frequency"]["value"] == 0.0
    assert found["deployment_frequency"]["median_hours_between_deploys"] is None
    assert found["change_lead_time"]["median"] is None
    assert found["change_fail_rate"]["value"] is None
    assert found["change_fail_rate"]["denominator"] == 0
    assert found["recovery_time"]["median"] is None
    assert found["rework_rate"]["value"] is None
    assert found["change_fail_rate"]["series"] == [
        {"week": "2026-06-01", "change_fail_rate": None, "failed": 0, "deploys": 0}
    ]
    assert found["by_service"] == []


def test_one_service_and_the_period_edges_in_another_time_zone(data):
    # 01:00 at +01:00 is the same instant as the period's start in UTC.
    since = datetime(2026, 3, 2, 1, tzinfo=timezone(timedelta(hours=1)))
    scope = Scope(since=since, until=UNTIL, service_id=data["search"].service_id)

    found = metrics.delivery_metrics(scope)

    assert found["deployment_frequency"]["numerator"] == 1
    assert found["change_lead_time"]["median"] == 4.0


def test_the_query_count_does_not_grow_with_the_number_of_releases(
    data, template, lead, django_assert_num_queries
):
    scope = Scope(since=SINCE, until=UNTIL)
    with django_assert_num_queries(6) as before:
        metrics.delivery_metrics(scope)
    for number in range(20):
        ship(data["shop"], template, lead, f"more-{number}", at(12, 10, number))
    with django_assert_num_queries(len(before.captured_queries)):
        found = metrics.delivery_metrics(scope)
    assert found["deployment_frequency"]["numerator"] == 27
