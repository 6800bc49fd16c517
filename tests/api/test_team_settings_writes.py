"""On-call, maintenance, email preferences, webhooks and sign-off requests written
over the API: what each write stores and audits, and what it refuses (400 naming
the field, nothing changed). Who may write is in test_write_roles.py; that the
page's write leaves the same event is in test_page_actions.py."""

import pytest

from apps.audit.models import AuditEvent
from apps.checklists.models import ChecklistTemplate
from apps.maintenance.models import MaintenancePlan
from apps.notifications import services as notifications
from apps.notifications.models import Webhook
from apps.oncall.models import Override, Rotation
from apps.releases import services as releases
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, lead):
    return client_for(lead)


@pytest.fixture
def rotation(team, lead, engineer) -> Rotation:
    return factories.weekly_rotation(team, lead, [lead, engineer])


def _refused(response, field: str, message: str, events: int) -> None:
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in str(response.json()[field])
    assert AuditEvent.objects.count() == events


def test_a_lead_sets_the_rotation_and_reads_it_back(api, team, lead, engineer):
    body = {
        "time_zone": "Europe/Berlin",
        "handover_weekday": 2,
        "handover_time": "10:30:00",
        "starts_on": "2026-03-25",
        "members": [engineer.username, lead.username],
    }

    put = api.put(f"/api/v1/oncall-rotations/{team.pk}/", body, format="json")
    got = api.get(f"/api/v1/oncall-rotations/{team.pk}/")

    assert put.status_code == 200
    assert {key: got.json()[key] for key in body} == body
    assert AuditEvent.objects.get(action="oncall_rotation.saved").after["members"] == [
        engineer.username,
        lead.username,
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"starts_on": "2026-03-24"}, "starts_on", "hand-over weekday"),
        ({"members": ["nobody-here"]}, "members", "Not members of"),
        ({"handover_weekday": 7}, "handover_weekday", "less than or equal to 6"),
    ],
)
def test_a_refused_rotation_changes_nothing(
    api, team, rotation, outsider, change, field, message
):
    body = {
        "time_zone": "UTC",
        "handover_weekday": 0,
        "handover_time": "09:00",
        "starts_on": "2026-03-23",
        "members": [],
        **change,
    }
    events = AuditEvent.objects.count()

    response = api.put(f"/api/v1/oncall-rotations/{team.pk}/", body, format="json")

    _refused(response, field, message, events)
    rotation.refresh_from_db()
    assert rotation.members.count() == 2


def test_a_member_of_another_team_cannot_be_in_the_rotation(api, team, outsider):
    body = {
        "handover_weekday": 0,
        "handover_time": "09:00",
        "starts_on": "2026-03-23",
        "members": [outsider.username],
    }
    events = AuditEvent.objects.count()

    response = api.put(f"/api/v1/oncall-rotations/{team.pk}/", body, format="json")

    _refused(response, "members", f"Not members of {team}: {outsider}.", events)
    assert not Rotation.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"user": "nobody-here"}, "user", "Choose a member of the team."),
        ({"ends_at": "2026-05-01T00:00:00Z"}, "ends_at", "after"),
        ({"starts_at": "1999-12-31T00:00:00Z"}, "starts_at", "2000"),
    ],
)
def test_a_refused_override_changes_nothing(
    api, team, engineer, rotation, change, field, message
):
    body = {
        "team": team.pk,
        "user": engineer.username,
        "starts_at": "2026-06-01T09:00:00Z",
        "ends_at": "2026-06-08T09:00:00Z",
        **change,
    }
    events = AuditEvent.objects.count()

    response = api.post("/api/v1/oncall-overrides/", body, format="json")

    _refused(response, field, message, events)
    assert not Override.objects.exists()


def test_an_override_needs_a_rotation_first(api, team, engineer):
    body = {
        "team": team.pk,
        "user": engineer.username,
        "starts_at": "2026-06-01T09:00:00Z",
        "ends_at": "2026-06-08T09:00:00Z",
    }

    response = api.post("/api/v1/oncall-overrides/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"team": ["Set up the rotation first."]}


def test_an_override_is_listed_to_the_team(api, client_for, auditor, team, rotation):
    body = {
        "team": team.pk,
        "user": auditor.username,
        "starts_at": "2026-06-01T09:00:00Z",
        "ends_at": "2026-06-08T09:00:00Z",
    }
    refused = api.post("/api/v1/oncall-overrides/", body, format="json")
    body["user"] = rotation.members.first().user.username
    created = api.post("/api/v1/oncall-overrides/", body, format="json")

    listed = client_for(auditor).get("/api/v1/oncall-overrides/").json()["results"]

    # An auditor cannot act on an incident, so cannot cover the rotation.
    assert refused.status_code == 400
    assert created.status_code == 201
    assert [row["id"] for row in listed] == [created.json()["id"]]


def test_a_maintenance_plan_and_its_checklists_over_the_api(
    api, environment, template, engineer
):
    body = {"template": template.pk, "time_zone": "UTC", "assignee": engineer.username}

    put = api.put(f"/api/v1/maintenance-plans/{environment.pk}/", body, "json")
    listed = api.get(f"/api/v1/maintenance-checklists/?environment={environment.pk}")

    assert put.status_code == 200
    assert put.json()["assignee"] == engineer.username
    cadences = sorted(row["cadence"] for row in listed.json()["results"])
    assert cadences == ["daily", "monthly", "weekly"]
    assert all(row["items"] for row in listed.json()["results"])


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"template": 10**9}, "template", "a maintenance phase"),
        ({"time_zone": "Nowhere/Town"}, "time_zone", "Unknown time zone"),
        ({"assignee": "nobody-here"}, "assignee", "Choose a member of the team."),
    ],
)
def test_a_refused_maintenance_plan_changes_nothing(
    api, environment, template, change, field, message
):
    events = AuditEvent.objects.count()

    response = api.put(
        f"/api/v1/maintenance-plans/{environment.pk}/",
        {"template": template.pk, **change},
        format="json",
    )

    _refused(response, field, message, events)
    assert not MaintenancePlan.objects.exists()


def test_a_template_without_a_maintenance_phase_is_refused(api, team, environment):
    bare = ChecklistTemplate.objects.create(
        name="bare", version=1, title="Bare", team=team
    )

    response = api.put(
        f"/api/v1/maintenance-plans/{environment.pk}/", {"template": bare.pk}, "json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "template": ["Choose a template with a maintenance phase."]
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"state": "skipped"}, "note", "Say why this check is skipped."),
        ({"state": "half-done"}, "state", "not a valid choice"),
    ],
)
def test_a_refused_check_state_changes_nothing(
    api, environment, template, lead, body, field, message
):
    check = factories.maintenance_check(environment, template, lead)
    events = AuditEvent.objects.count()

    response = api.post(f"/api/v1/maintenance-items/{check.pk}/state/", body, "json")

    _refused(response, field, message, events)
    check.refresh_from_db()
    assert check.state == "open"


def test_email_preferences_start_with_every_event_and_refuse_unknown_ones(api, lead):
    before = api.get("/api/v1/me/email-preferences/").json()
    events = AuditEvent.objects.count()

    response = api.put(
        "/api/v1/me/email-preferences/",
        {"events": ["probe.failed", "release.exploded"], "digest": False},
        format="json",
    )

    assert before["digest"] is False
    assert "probe.failed" in before["events"]
    _refused(response, "events", "not a valid choice", events)


def test_a_lead_pauses_and_renames_a_webhook(api, team, lead):
    webhook, _secret = notifications.webhook_create(
        team=team,
        name="deploys",
        url="https://hooks.example.com/a",
        events=["release.ready"],
        by=lead,
    )
    body = {"name": "deploy bot", "active": False, "events": ["release.deployed"]}

    response = api.patch(f"/api/v1/webhooks/{webhook.pk}/", body, format="json")

    assert response.status_code == 200
    assert "secret" not in response.json()
    event = AuditEvent.objects.get(action="webhook.changed")
    assert (event.before, event.after) == (
        {"name": "deploys", "active": True, "events": ["release.ready"]},
        {"name": "deploy bot", "active": False, "events": ["release.deployed"]},
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "taken"}, "name", "Another webhook of the team has this name."),
        ({"url": "http://169.254.169.254/"}, "url", "This URL cannot be used"),
        ({"events": []}, "events", "at least 1"),
    ],
)
def test_a_refused_webhook_change_changes_nothing(
    api, team, lead, body, field, message
):
    Webhook.objects.create(
        team=team, name="taken", url="https://x.test/", created_by=lead
    )
    webhook = Webhook.objects.create(
        team=team, name="mine", url="https://y.test/", created_by=lead
    )
    events = AuditEvent.objects.count()

    response = api.patch(f"/api/v1/webhooks/{webhook.pk}/", body, format="json")

    _refused(response, field, message, events)
    webhook.refresh_from_db()
    assert (webhook.name, webhook.url) == ("mine", "https://y.test/")


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ("nobody-here", "person", "Choose a member of the team."),
        ("auditor", "person", "cannot sign off in"),
    ],
)
def test_a_refused_sign_off_request_is_not_sent(
    api, release, auditor, person, field, message
):
    events = AuditEvent.objects.count()
    body = {
        "release": release.pk,
        "role_key": release.signoff_roles[0]["key"],
        "person": auditor.username if person == "auditor" else person,
    }

    response = api.post("/api/v1/signoffs/requests/", body, format="json")

    _refused(response, field, message, events)


def test_a_closed_release_takes_no_sign_off_requests(api, release, lead, engineer):
    releases.release_transition(
        release=release, target="cancelled", by=lead, reason="dropped"
    )
    body = {
        "release": release.pk,
        "role_key": release.signoff_roles[0]["key"],
        "person": engineer.username,
    }

    response = api.post("/api/v1/signoffs/requests/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A cancelled release takes no more sign-offs."]
    }
    assert not AuditEvent.objects.filter(action="signoff.requested").exists()


def test_a_lead_of_two_teams_cannot_name_one_teams_person_for_the_other(
    api, release, lead
):
    elsewhere = factories.TeamFactory()
    factories.MembershipFactory(team=elsewhere, user=lead, role="lead")
    stranger = factories.member(elsewhere, "engineer")
    body = {
        "release": release.pk,
        "role_key": release.signoff_roles[0]["key"],
        "person": stranger.username,
    }

    response = api.post("/api/v1/signoffs/requests/", body, format="json")

    assert response.json() == {"person": ["Choose a member of the team."]}
