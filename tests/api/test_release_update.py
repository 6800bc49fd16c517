"""PATCH /api/v1/releases/{id}/: planned date and notes, by leads, audited."""

import pytest

from apps.audit.models import AuditEvent
from apps.releases import services
from apps.releases.models import Release


def test_lead_changes_notes_and_planned_date(client_for, release, lead):
    response = client_for(lead).patch(
        f"/api/v1/releases/{release.pk}/",
        {"notes": "Moved after the sale", "planned_for": "2026-12-01T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "Moved after the sale"
    release.refresh_from_db()
    assert release.planned_for.isoformat() == "2026-12-01T09:00:00+00:00"
    event = AuditEvent.objects.get(action="release.updated")
    assert event.after["notes"] == "Moved after the sale"
    assert event.actor == lead


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_update(client_for, release, role, request):
    user = request.getfixturevalue(role)
    response = client_for(user).patch(
        f"/api/v1/releases/{release.pk}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 403
    assert Release.objects.get(pk=release.pk).notes == ""


def test_another_teams_release_is_404(client_for, release, outsider):
    response = client_for(outsider).patch(
        f"/api/v1/releases/{release.pk}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 404


def test_a_cancelled_release_cannot_change(client_for, release, lead):
    services.release_transition(
        release=release, target="cancelled", by=lead, reason="Superseded"
    )
    response = client_for(lead).patch(
        f"/api/v1/releases/{release.pk}/", {"notes": "late"}, format="json"
    )
    assert response.status_code == 400
    assert "can no longer change" in response.content.decode()
    assert not AuditEvent.objects.filter(action="release.updated").exists()
