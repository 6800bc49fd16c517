"""Incidents: recorded on the page, over the API and by the incident webhook,
each write audited, with their causing and remediating releases."""

import pytest

from apps.audit.models import AuditEvent
from apps.incidents.models import Incident
from tests import factories
from tests.api.conftest import anonymous, client_for

__all__ = ["anonymous", "client_for"]

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BODY = {
    "title": "Checkout returns 502",
    "severity": "sev2",
    "started_at": "2026-05-04T10:00:00Z",
    "detected_at": "2026-05-04T10:05:00Z",
    "mitigated_at": "2026-05-04T10:40:00Z",
}


def test_an_engineer_records_an_incident_caused_by_a_release(
    client_for, engineer, release
):
    response = client_for(engineer).post(
        "/api/v1/incidents/",
        {**BODY, "service": release.service_id, "caused_by": release.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["caused_by"] == release.pk
    assert data["source"] == "api"
    assert data["mitigated_at"] == "2026-05-04T10:40:00Z"
    event = AuditEvent.objects.get(action="incident.created")
    assert event.after["title"] == "Checkout returns 502"
    assert event.after["caused_by"] == release.pk


def test_moments_out_of_order_are_refused_and_nothing_is_written(
    client_for, engineer, release
):
    response = client_for(engineer).post(
        "/api/v1/incidents/",
        {**BODY, "service": release.service_id, "mitigated_at": "2026-05-04T09:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["mitigated_at"] == [
        "This cannot come before the incident was detected."
    ]
    assert not Incident.objects.exists()


def test_a_release_of_another_service_cannot_cause_the_incident(
    client_for, engineer, release, team
):
    other = factories.ServiceFactory(team=team)
    response = client_for(engineer).post(
        "/api/v1/incidents/",
        {**BODY, "service": other.pk, "caused_by": release.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "caused_by" in response.json()
    assert not Incident.objects.exists()


def test_an_auditor_cannot_record_an_incident(client_for, auditor, release):
    response = client_for(auditor).post(
        "/api/v1/incidents/", {**BODY, "service": release.service_id}, format="json"
    )

    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_patch_marks_the_remediating_release(client_for, engineer, release):
    client = client_for(engineer)
    created = client.post(
        "/api/v1/incidents/", {**BODY, "service": release.service_id}, format="json"
    ).json()

    response = client.patch(
        f"/api/v1/incidents/{created['id']}/",
        {"remediated_by": release.pk, "resolved_at": "2026-05-04T12:00:00Z"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["remediated_by"] == release.pk
    event = AuditEvent.objects.get(action="incident.changed")
    assert event.before == {"remediated_by": None, "resolved_at": None}


def test_the_webhook_creates_then_updates_the_incident_with_the_same_id(
    client_for, engineer, release
):
    client = client_for(engineer)
    body = {
        "id": "PD-123",
        "service": release.service.slug,
        "title": "Checkout returns 502",
        "started_at": "2026-05-04T10:00:00Z",
        "caused_by_version": release.version,
    }

    first = client.post("/integrations/incidents/", body, format="json")
    again = client.post(
        "/integrations/incidents/",
        {**body, "mitigated_at": "2026-05-04T10:30:00Z"},
        format="json",
    )

    assert first.status_code == 201, first.json()
    assert again.status_code == 200, again.json()
    incident = Incident.objects.get()
    assert (incident.source, incident.external_id) == ("webhook", "PD-123")
    assert incident.caused_by == release
    assert incident.mitigated_at.isoformat() == "2026-05-04T10:30:00+00:00"
    events = AuditEvent.objects.filter(target_type="incidents.incident")
    assert [e.action for e in events.order_by("seq")] == [
        "incident.created",
        "incident.changed",
    ]


def test_the_webhook_refuses_an_unknown_service_and_a_missing_token(
    client_for, anonymous, engineer, release
):
    body = {"id": "1", "service": "nope", "title": "x", "started_at": "2026-05-04T10Z"}

    unknown = client_for(engineer).post("/integrations/incidents/", body, "json")
    anonymous_answer = anonymous.post("/integrations/incidents/", body, "json")

    assert unknown.status_code == 400
    assert unknown.json() == {"service": ["No such service of your teams."]}
    assert anonymous_answer.status_code == 401
    assert not Incident.objects.exists()


def test_the_incident_pages_record_and_change_an_incident(client, engineer, release):
    client.force_login(engineer)
    form = {
        "service": release.service_id,
        "title": "Login slow",
        "severity": "sev3",
        "user_facing": "on",
        "started_at": "2026-05-04T10:00",
        "caused_by": release.pk,
    }

    new_page = client.get("/incidents/new/")
    created = client.post("/incidents/new/", form)
    incident = Incident.objects.get()
    bad = client.post(
        f"/incidents/{incident.pk}/",
        {**form, "detected_at": "2026-05-04T09:00"},
    )
    listing = client.get("/incidents/")

    assert new_page.status_code == 200
    assert created.status_code == 302
    assert incident.caused_by == release
    assert incident.source == "page"
    assert bad.status_code == 200
    assert "This cannot come before the incident was started." in bad.content.decode()
    incident.refresh_from_db()
    assert incident.detected_at is None
    assert "Login slow" in listing.content.decode()
