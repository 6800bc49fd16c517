"""Incidents in the Django admin: superusers only, written through the incidents
services, so each save is checked and audited like the page's."""

import pytest
from django.contrib.messages import get_messages

from apps.audit.models import AuditEvent
from apps.incidents.models import Incident
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def operator(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


def form(release, **changes) -> dict:
    return {
        "service": release.service_id,
        "title": "Checkout returns 502",
        "severity": "sev2",
        "user_facing": "on",
        "started_at_0": "2026-05-04",
        "started_at_1": "10:00:00",
        "mitigated_at_0": "2026-05-04",
        "mitigated_at_1": "10:40:00",
        "caused_by": release.pk,
        **changes,
    }


def test_an_operator_records_and_corrects_an_incident_in_admin(
    client, operator, release
):
    client.force_login(operator)

    response = client.post("/admin/incidents/incident/add/", form(release))

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.title, incident.caused_by, incident.team) == (
        "Checkout returns 502",
        release,
        release.team,
    )
    created = AuditEvent.objects.get(action="incident.created")
    assert created.actor == operator
    assert created.after["caused_by"] == release.pk

    response = client.post(
        f"/admin/incidents/incident/{incident.pk}/change/",
        form(release, severity="sev1"),
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "sev1"
    changed = AuditEvent.objects.get(action="incident.changed")
    assert (changed.before, changed.after) == (
        {"severity": "sev2"},
        {"severity": "sev1"},
    )


def test_the_admin_refuses_what_the_service_refuses_and_saves_nothing(
    client, operator, release
):
    client.force_login(operator)

    response = client.post(
        "/admin/incidents/incident/add/",
        form(release, mitigated_at_0="2026-05-03"),
        follow=True,
    )

    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.created").exists()
    shown = [str(m) for m in get_messages(response.wsgi_request)] + [
        response.content.decode()
    ]
    assert any("cannot come before the incident was started" in s for s in shown)


def test_a_staff_lead_gets_no_incident_admin(client, lead, release):
    lead.is_staff = True
    lead.save(update_fields=["is_staff"])
    client.force_login(lead)

    response = client.post("/admin/incidents/incident/add/", form(release))

    assert response.status_code in (302, 403)
    assert not Incident.objects.exists()
