"""Verification windows over the API and the release page: list filters, and a
lead deciding an inconclusive window (audited, announced like other outcomes)."""

import json

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.notifications.models import Webhook, WebhookDelivery
from apps.policy.models import VerificationWindow
from apps.releases import services as release_services
from tests import factories

pytestmark = pytest.mark.django_db


def _deployed(release, lead):
    return release_services.release_transition(
        release=release,
        target="deployed",
        by=lead,
        override=True,
        reason="Verification test",
    )


def _window(release, outcome: str = "inconclusive") -> VerificationWindow:
    return factories.VerificationWindowFactory(release=release, outcome=outcome)


@pytest.fixture
def deployed(release, lead):
    return _deployed(release, lead)


@pytest.fixture
def other_release(release, lead, template):
    """A second deployed release of the same team, to another service."""
    environment = factories.EnvironmentFactory(
        service__team=release.team, name="production"
    )
    other = release_services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="2.0.0",
        by=lead,
    )
    return _deployed(other, lead)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_every_list_filter_of_verification_windows_narrows_the_list(
    client_for, auditor, deployed, other_release
):
    mine = _window(deployed, "inconclusive")
    passed = _window(deployed, "passed")
    theirs = _window(other_release, "failed")
    client = client_for(auditor)
    url = "/api/v1/verification-windows/"

    assert _ids(client.get(url)) == sorted([mine.pk, passed.pk, theirs.pk])
    assert _ids(client.get(url, {"release": deployed.pk})) == [mine.pk, passed.pk]
    assert _ids(client.get(url, {"release": other_release.pk})) == [theirs.pk]
    assert _ids(client.get(url, {"outcome": "passed"})) == [passed.pk]
    assert _ids(client.get(url, {"service": other_release.service_id})) == [theirs.pk]
    assert _ids(client.get(url, {"environment": deployed.environment_id})) == [
        mine.pk,
        passed.pk,
    ]
    assert _ids(client.get(url, {"release": deployed.pk, "outcome": "failed"})) == []


@pytest.mark.parametrize(
    "query", [{"release": "x"}, {"outcome": "maybe"}, {"service": "1.5"}]
)
def test_a_malformed_filter_is_a_400(client_for, auditor, query):
    response = client_for(auditor).get("/api/v1/verification-windows/", query)

    assert response.status_code == 400
    assert list(response.json()) == list(query)


@pytest.fixture
def webhook(deployed, lead):
    return Webhook.objects.create(
        team=deployed.team,
        name="verification",
        url="https://hooks.example.com/in",
        events=["verification.failed", "verification.inconclusive"],
        created_by=lead,
    )


def test_a_lead_decides_an_inconclusive_window_over_the_api(
    client_for, lead, deployed, webhook
):
    window = _window(deployed)

    response = client_for(lead).post(
        f"/api/v1/verification-windows/{window.pk}/decide/",
        {"outcome": "failed", "note": "p95 is over budget in the last minutes"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["decided_by"]) == ("failed", lead.username)
    assert body["decision_note"] == "p95 is over budget in the last minutes"
    event = AuditEvent.objects.get(action="verification.decided")
    assert (event.actor_id, event.release_id) == (lead.pk, deployed.pk)
    assert event.before["outcome"] == "inconclusive"
    assert event.after["outcome"] == "failed"
    [delivery] = WebhookDelivery.objects.filter(event="verification.failed")
    data = json.loads(delivery.body)["data"]
    assert data["window"] == window.pk
    assert data["rollback_path"] == f"/releases/{deployed.pk}/#phase-rollback"
    assert data["rollback_plan"]
    assert "p95 is over budget" in data["summary"]


@pytest.mark.parametrize(
    ("who", "status"), [("engineer", 403), ("auditor", 403), ("outsider", 404)]
)
def test_only_a_lead_of_the_team_may_decide(request, client_for, deployed, who, status):
    window = _window(deployed)
    person = request.getfixturevalue(who)

    response = client_for(person).post(
        f"/api/v1/verification-windows/{window.pk}/decide/",
        {"outcome": "passed", "note": "fine"},
        format="json",
    )

    window.refresh_from_db()
    assert response.status_code == status
    assert window.outcome == "inconclusive"
    assert not AuditEvent.objects.filter(action="verification.decided").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "passed", "note": "  "}, "note"),
        ({"outcome": "inconclusive", "note": "why"}, "outcome"),
        ({"note": "why"}, "outcome"),
    ],
)
def test_a_decision_needs_an_outcome_and_a_note(
    client_for, lead, deployed, body, field
):
    window = _window(deployed)

    response = client_for(lead).post(
        f"/api/v1/verification-windows/{window.pk}/decide/", body, format="json"
    )

    window.refresh_from_db()
    assert response.status_code == 400
    assert field in response.json()
    assert window.outcome == "inconclusive"


def test_a_window_that_is_not_inconclusive_cannot_be_decided(
    client_for, lead, deployed
):
    window = _window(deployed, "passed")

    response = client_for(lead).post(
        f"/api/v1/verification-windows/{window.pk}/decide/",
        {"outcome": "failed", "note": "changed my mind"},
        format="json",
    )

    assert response.status_code == 400
    assert "Only an inconclusive window" in str(response.json())


def test_the_release_page_offers_the_decision_to_leads_only(
    client, lead, engineer, deployed
):
    window = _window(deployed)
    url = reverse("releases:detail", args=[deployed.pk])
    action = reverse("policy:verification-decide", args=[window.pk])

    client.force_login(engineer)
    as_engineer = client.get(url).content.decode()
    client.force_login(lead)
    as_lead = client.get(url).content.decode()

    assert action not in as_engineer
    assert f'hx-post="{action}"' in as_lead
    assert f'<label for="decide-note-{window.pk}">' in as_lead
    assert 'name="outcome" value="passed"' in as_lead


def test_a_lead_decides_from_the_release_page_with_htmx(client, lead, deployed):
    window = _window(deployed)
    client.force_login(lead)
    action = reverse("policy:verification-decide", args=[window.pk])

    refused = client.post(
        action, {"outcome": "passed", "note": ""}, HTTP_HX_REQUEST="true"
    )
    decided = client.post(
        action,
        {"outcome": "passed", "note": "Error budget intact; one slow probe"},
        HTTP_HX_REQUEST="true",
    )

    window.refresh_from_db()
    assert refused.status_code == 200
    assert "Say why." in refused.content.decode()
    assert decided.status_code == 200
    fragment = decided.content.decode()
    assert fragment.startswith('<section id="policy"')
    assert "Error budget intact; one slow probe" in fragment
    assert action not in fragment
    assert (window.outcome, window.decided_by) == ("passed", lead)
    assert AuditEvent.objects.filter(action="verification.decided").count() == 1


def test_a_decision_without_htmx_redirects_to_the_panel(client, lead, deployed):
    window = _window(deployed)
    client.force_login(lead)

    response = client.post(
        reverse("policy:verification-decide", args=[window.pk]),
        {"outcome": "failed", "note": "Rolled back by hand"},
    )

    window.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/releases/{deployed.pk}/#policy"
    assert window.outcome == "failed"


def test_another_teams_window_cannot_be_decided_from_a_page(client, outsider, deployed):
    window = _window(deployed)
    client.force_login(outsider)

    response = client.post(
        reverse("policy:verification-decide", args=[window.pk]),
        {"outcome": "passed", "note": "mine now"},
    )

    window.refresh_from_db()
    assert response.status_code == 404
    assert window.outcome == "inconclusive"
