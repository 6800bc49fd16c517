"""A lead asks a named person for a role's sign-off from the release page."""

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification


def test_lead_asks_an_engineer_and_they_are_notified(client, release, lead, engineer):
    client.force_login(lead)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "Ask someone for a sign-off" in page
    response = client.post(
        f"/releases/{release.pk}/signoffs/request/",
        {"role_key": "security_review", "person": engineer.pk, "note": "CVE scan"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "they are notified" in response.content.decode()
    event = AuditEvent.objects.get(action="signoff.requested")
    assert event.after == {
        "role": "security_review",
        "person": engineer.username,
        "note": "CVE scan",
    }
    assert Notification.objects.filter(event="signoff.requested").count() == 1


def test_engineers_and_auditors_cannot_ask(client, release, engineer, auditor):
    for user in (engineer, auditor):
        client.force_login(user)
        page = client.get(release.get_absolute_url()).content.decode()
        assert "Ask someone for a sign-off" not in page
        response = client.post(
            f"/releases/{release.pk}/signoffs/request/",
            {"role_key": "security_review", "person": user.pk},
        )
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="signoff.requested").exists()


def test_someone_outside_the_team_cannot_be_asked(client, release, lead, outsider):
    client.force_login(lead)
    response = client.post(
        f"/releases/{release.pk}/signoffs/request/",
        {"role_key": "support", "person": outsider.pk},
    )
    assert response.status_code == 302
    assert not Notification.objects.filter(event="signoff.requested").exists()
