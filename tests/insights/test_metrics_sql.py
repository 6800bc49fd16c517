"""The two ways the delivery metrics ask the database give the same answers.

On PostgreSQL, apps/insights/sql.py's hand-written statements (medians by
percentile_cont); elsewhere, the ORM with the medians worked out in Python
(`metrics._answers_orm`, what a bare checkout on SQLite runs). The fixed data
set of test_metrics.py, with sign-offs, blocking items and a flaky probe added,
is asked both ways for several scopes, and the answers compared whole.
"""

from datetime import UTC, datetime, timedelta

import pytest

from apps.insights import metrics
from apps.insights.metrics import Scope
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases.models import ReleaseItem
from apps.signoffs.models import SignOff
from tests.insights.test_metrics import SINCE, UNTIL, at, data

__all__ = ["data"]

pytestmark = [pytest.mark.django_db]


def _rounded(value):
    """Floats to 9 places, so the two ways' last-digit differences do not count."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


@pytest.fixture
def readiness(data, lead):
    """Sign-offs, checklist items and two probes on top of the fixed data set."""
    a, d = data["a"], data["d"]
    for release, role, decision, hours in (
        (a, "QA", "approve", 6),
        (d, "QA", "approve", 10),
        (d, "Security", "approve", 3),
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
            (a, "Load test", 2, "done"),
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
    for name, statuses in (
        ("health", ["pass", "fail", "pass", "warn", "pass", "fail"]),
        ("steady", ["pass", "pass"]),
    ):
        config = ProbeConfig.objects.create(
            environment=data["shop"], name=name, kind="http", target="http://x/"
        )
        for minute, status in enumerate(statuses):
            run = ProbeRun.objects.create(
                release=a, environment=data["shop"], started_by=lead, deadline=UNTIL
            )
            result = ProbeResult.objects.create(
                run=run,
                config=config,
                name=name,
                kind="http",
                target="http://x/",
                status=status,
                summary="",
                duration_ms=1,
            )
            ProbeResult.objects.filter(pk=result.pk).update(
                created_at=at(3, 12, minute)
            )
    return data


@pytest.mark.postgres
def test_the_orm_answers_equal_the_hand_written_sql(readiness, team, monkeypatch):
    scopes = [
        Scope(since=SINCE, until=UNTIL),
        Scope(since=SINCE, until=UNTIL, team_ids=[team.pk]),
        Scope(since=SINCE, until=UNTIL, team_ids=[]),
        Scope(since=SINCE, until=UNTIL, service_id=readiness["shop"].service_id),
        Scope(since=SINCE, until=UNTIL, environment_id=readiness["search"].pk),
        Scope(
            since=datetime(2026, 6, 1, tzinfo=UTC),
            until=datetime(2026, 6, 8, tzinfo=UTC),
        ),
    ]
    by_sql = [metrics.delivery_metrics(scope) for scope in scopes]
    monkeypatch.setattr(metrics, "_answers", metrics._answers_orm)
    by_orm = [metrics.delivery_metrics(scope) for scope in scopes]

    assert _rounded(by_orm) == _rounded(by_sql)
    # Not two empty answers: the first scope has every part filled.
    readiness_found = by_sql[0]["readiness"]
    assert readiness_found["signoff_latency"]["Security"] == {
        "median_hours": 3.0,
        "sample_size": 1,
    }
    assert [row["text"] for row in readiness_found["longest_blocking_items"]] == [
        "Load test",
        "Backups verified",
    ]
    assert [row["name"] for row in readiness_found["probe_flakiness"]] == [
        "health",
        "steady",
    ]
    assert by_sql[0]["change_fail_rate"]["numerator"] == 3


def test_the_metrics_read_the_same_on_any_database(readiness):
    """Runs on SQLite too (no postgres marker): the ORM's way, checked by hand."""
    found = metrics.delivery_metrics(Scope(since=SINCE, until=UNTIL))

    assert found["deployment_frequency"]["numerator"] == 7
    assert found["change_lead_time"]["median"] == 6.0
    assert found["change_fail_rate"]["numerator"] == 3
    assert found["recovery_time"]["median"] == 1.5
    # Load test: 18 h (D) and 2 h (A), median 10 h; backups 10 h and 6 h, 8 h.
    assert found["readiness"]["longest_blocking_items"][0] == {
        "text": "Load test",
        "median_hours": 10.0,
        "sample_size": 2,
        "still_blocked": 1,
    }
    assert found["readiness"]["signoff_latency"]["QA"]["median_hours"] == 8.0
    assert found["readiness"]["probe_flakiness"][0]["flips"] == 3
