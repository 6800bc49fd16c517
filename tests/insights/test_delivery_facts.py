"""A release's delivery facts: kind, commits, deploy result, remediation,
rollback target, and the environment's production flag; through the service,
the API and the page, each write audited."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.policy import services as policy_services
from apps.releases import services
from apps.releases.models import Release
from tests import factories
from tests.api.conftest import client_for, make_ready

__all__ = ["client_for"]

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def ship(release: Release, lead) -> Release:
    """Ready the release, move it to ready, and deploy it, through the service."""
    ready = services.release_transition(
        release=make_ready(release, lead), target="ready", by=lead
    )
    return services.release_transition(release=ready, target="deployed", by=lead)


C1 = "3f2a9c1d"
C2 = "a0b1c2d3e4"


def test_a_release_created_over_the_api_keeps_its_kind_commits_and_remediation(
    client_for, environment, lead, template, release
):
    body = {
        "service": environment.service_id,
        "environment": environment.pk,
        "version": "2.0.1",
        "kind": "hotfix",
        "remediates": release.pk,
        "commits": [
            {"sha": C1.upper(), "committed_at": "2026-05-04T09:30:00+02:00"},
            {"sha": C2, "committed_at": "2026-05-04T10:00:00Z"},
        ],
    }
    response = client_for(lead).post("/api/v1/releases/", body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "hotfix"
    assert data["remediates"] == release.pk
    assert data["commits"] == [
        {"sha": C1, "committed_at": "2026-05-04T07:30:00Z"},
        {"sha": C2, "committed_at": "2026-05-04T10:00:00Z"},
    ]
    event = AuditEvent.objects.get(action="release.created", release_id=data["id"])
    assert event.after["kind"] == "hotfix"
    assert event.after["commits"][0]["sha"] == C1


def test_an_emergency_kind_cannot_be_asked_for_and_a_bad_sha_is_refused(
    client_for, environment, lead, template
):
    client = client_for(lead)
    base = {"service": environment.service_id, "environment": environment.pk}
    emergency = client.post(
        "/api/v1/releases/", {**base, "version": "3", "kind": "emergency"}, "json"
    )
    bad_sha = client.post(
        "/api/v1/releases/",
        {
            **base,
            "version": "3",
            "commits": [{"sha": "not-a-sha", "committed_at": "2026-05-04T10:00Z"}],
        },
        format="json",
    )

    assert emergency.status_code == 400
    assert "kind" in emergency.json()
    assert bad_sha.status_code == 400
    assert "commits" in bad_sha.json()
    assert not Release.objects.filter(version="3").exists()


def test_deploying_records_success_finish_and_the_waivers_it_went_through(
    release, lead
):
    deployed = ship(release, lead)

    assert deployed.deploy_result == "succeeded"
    assert deployed.deploy_finished_at == deployed.deployed_at
    assert deployed.ready_at is not None
    assert deployed.kind == "planned"
    assert deployed.deploy_waivers == []
    event = AuditEvent.objects.filter(action="release.transitioned").latest("seq")
    assert event.after["deploy_result"] == "succeeded"


def test_a_release_shipped_through_an_emergency_exception_becomes_emergency(
    release, lead, team
):
    ready = services.release_transition(
        release=make_ready(release, lead), target="ready", by=lead
    )
    now = timezone.now()
    policy_services.freeze_window_save(
        environment=ready.environment,
        by=lead,
        name="Incident freeze",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    exception = policy_services.emergency_exception_request(
        release=ready, reason="CVE fix", expires_at=now + timedelta(hours=6), by=lead
    )
    for _ in range(2):
        policy_services.emergency_exception_approve(
            exception=exception, by=factories.member(team, "lead")
        )

    deployed = services.release_transition(release=ready, target="deployed", by=lead)

    assert deployed.kind == "emergency"
    event = AuditEvent.objects.filter(action="release.transitioned").latest("seq")
    assert event.after["kind"] == "emergency"
    with pytest.raises(ValidationError, match="emergency exception"):
        services.release_delivery_record(release=deployed, by=lead, kind="planned")


def test_the_delivery_endpoint_records_a_failed_deploy_and_replaces_commits(
    client_for, release, lead
):
    deployed = ship(release, lead)
    finished = deployed.deployed_at + timedelta(minutes=12)
    client = client_for(lead)

    response = client.post(
        f"/api/v1/releases/{deployed.pk}/delivery/",
        {
            "deploy_result": "failed",
            "deploy_finished_at": finished.isoformat(),
            "commits": [{"sha": C2, "committed_at": "2026-05-01T08:00:00Z"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["deploy_result"] == "failed"
    assert data["commits"] == [{"sha": C2, "committed_at": "2026-05-01T08:00:00Z"}]
    event = AuditEvent.objects.get(action="release.delivery_recorded")
    assert event.before["deploy_result"] == "succeeded"
    assert event.after["deploy_result"] == "failed"
    assert event.after["commits"] == [
        {"sha": C2, "committed_at": "2026-05-01T08:00:00+00:00"}
    ]


def test_a_deploy_cannot_finish_before_it_started_and_nothing_changes(
    client_for, release, lead
):
    deployed = ship(release, lead)
    early = deployed.deployed_at - timedelta(hours=1)

    response = client_for(lead).post(
        f"/api/v1/releases/{deployed.pk}/delivery/",
        {"deploy_result": "aborted", "deploy_finished_at": early.isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert "deploy_finished_at" in response.json()
    deployed.refresh_from_db()
    assert deployed.deploy_result == "succeeded"
    assert not AuditEvent.objects.filter(action="release.delivery_recorded").exists()


def test_an_engineer_cannot_record_delivery_facts(client_for, release, engineer):
    response = client_for(engineer).post(
        f"/api/v1/releases/{release.pk}/delivery/", {"kind": "hotfix"}, format="json"
    )

    assert response.status_code == 403
    release.refresh_from_db()
    assert release.kind == "planned"


def test_a_rollback_names_the_release_it_restored(
    client_for, environment, template, lead
):
    earlier = factories.release_open(environment, template, lead, "1.0.0")
    earlier = factories.deployed(earlier, lead, hours_ago=48)
    current = factories.deployed(
        factories.release_open(environment, template, lead, "1.1.0"), lead
    )

    response = client_for(lead).post(
        f"/api/v1/releases/{current.pk}/transition/",
        {"status": "rolled_back", "reason": "Errors", "rolled_back_to": earlier.pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["rolled_back_to"] == earlier.pk
    assert response.json()["rolled_back_by"] == lead.username
    event = AuditEvent.objects.filter(action="release.transitioned").latest("seq")
    assert event.after["rolled_back_to"] == earlier.pk


def test_the_delivery_page_saves_commits_typed_by_hand(client, release, lead):
    client.force_login(lead)
    url = f"/insights/releases/{release.pk}/delivery/"

    page = client.get(url)
    bad = client.post(url, {"kind": "hotfix", "commits": "3f2a9c1 yesterday"})
    good = client.post(
        url, {"kind": "hotfix", "commits": f"{C1} 2026-05-04T09:30:00Z\n"}
    )

    assert page.status_code == 200
    assert "Delivery facts" in page.content.decode()
    assert bad.status_code == 200
    assert "Line 1: give the sha" in bad.content.decode()
    assert good.status_code == 302, good.content.decode()[-3000:]
    release.refresh_from_db()
    assert release.kind == "hotfix"
    assert [(c.sha, c.committed_at) for c in release.commits.all()] == [
        (C1, datetime(2026, 5, 4, 9, 30, tzinfo=UTC))
    ]


def test_an_environment_is_marked_production_over_the_api(
    client_for, lead, environment
):
    client = client_for(lead)
    created = client.post(
        "/api/v1/environments/",
        {"service": environment.service_id, "name": "production", "production": True},
        format="json",
    )
    changed = client.patch(
        f"/api/v1/environments/{created.json()['id']}/",
        {"production": False},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["production"] is True
    assert changed.json()["production"] is False
    event = AuditEvent.objects.get(action="environment.changed")
    assert (event.before, event.after) == ({"production": True}, {"production": False})
