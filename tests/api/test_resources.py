"""The API per resource and per role: what each role may read and change.

Every request authenticates with a real Bearer token. Another team's object is
a 404 (or a 400 naming the field when it is referenced from a body).
"""

import pytest

from apps.audit.models import AuditEvent
from apps.contacts.models import Contact, SupportResource
from apps.releases.models import Release, ReleaseItem
from apps.signoffs.models import SignOff
from tests import factories

pytestmark = pytest.mark.django_db


def _first_gating_item(release: Release) -> ReleaseItem:
    return next(item for item in release.items.all() if item.gates_readiness)


# Releases


@pytest.mark.parametrize("role", ["lead", "engineer", "auditor"])
def test_every_role_reads_its_teams_releases(client_for, release, role, request):
    client = client_for(request.getfixturevalue(role))

    listed = client.get("/api/v1/releases/")
    detail = client.get(f"/api/v1/releases/{release.pk}/")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [release.pk]
    assert detail.json()["version"] == "1.0.0"
    assert detail.json()["status"] == "in_progress"


def test_listing_releases_costs_the_same_queries_for_one_or_many(
    client_for, lead, environment, template, django_assert_max_num_queries
):
    from apps.releases import services as release_services

    for n in range(8):
        release_services.release_create(
            service=environment.service,
            environment=environment,
            template=template,
            version=f"0.{n}.0",
            by=lead,
            start=False,
        )
    client = client_for(lead)

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/releases/")

    assert len(response.json()["results"]) == 8


def test_another_teams_release_is_not_found(client_for, outsider, release):
    client = client_for(outsider)

    assert client.get(f"/api/v1/releases/{release.pk}/").status_code == 404
    assert client.get(f"/api/v1/releases/{release.pk}/readiness/").status_code == 404
    assert client.get(f"/api/v1/releases/{release.pk}/items/").status_code == 404
    assert client.get("/api/v1/releases/").json()["results"] == []
    item = release.items.first()
    assert client.get(f"/api/v1/items/{item.pk}/").status_code == 404


def test_releases_filter_by_service_environment_status_and_version(
    client_for, lead, release, template
):
    other_environment = factories.EnvironmentFactory(
        service=release.service, name="production"
    )
    client = client_for(lead)
    created = client.post(
        "/api/v1/releases/",
        {
            "service": release.service_id,
            "environment": other_environment.pk,
            "version": "2.0.0",
            "start": False,
        },
        format="json",
    )
    assert created.status_code == 201

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/releases/?{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    new = created.json()["id"]
    assert ids(f"environment={other_environment.pk}") == [new]
    assert ids("status=in_progress") == [release.pk]
    assert ids("version=2.0.0") == [new]
    assert sorted(ids(f"service={release.service_id}")) == sorted([release.pk, new])
    assert ids("environment_name=production&status=draft") == [new]
    assert ids("created_after=2100-01-01T00:00:00Z") == []
    assert client.get("/api/v1/releases/?service=1.5").status_code == 400
    assert client.get("/api/v1/releases/?status=nonsense").status_code == 400


def test_a_lead_creates_a_release_with_its_checklist(client_for, lead, environment):
    response = client_for(lead).post(
        "/api/v1/releases/",
        {
            "service": environment.service_id,
            "environment": environment.pk,
            "version": "3.1.4",
            "notes": "via the pipeline",
        },
        format="json",
    )

    assert response.status_code == 201
    release = Release.objects.get(pk=response.json()["id"])
    assert release.status == "in_progress"
    assert release.notes == "via the pipeline"
    assert release.items.count() > 50
    assert AuditEvent.objects.filter(action="release.created").count() == 1


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_create_releases(client_for, environment, template, role, request):
    response = client_for(request.getfixturevalue(role)).post(
        "/api/v1/releases/",
        {
            "service": environment.service_id,
            "environment": environment.pk,
            "version": "9.9.9",
        },
        format="json",
    )

    assert response.status_code == 403
    assert not Release.objects.filter(version="9.9.9").exists()


def test_a_release_cannot_be_created_for_another_teams_service(
    client_for, outsider, environment, template
):
    response = client_for(outsider).post(
        "/api/v1/releases/",
        {
            "service": environment.service_id,
            "environment": environment.pk,
            "version": "1.2.3",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"service": ["No such service."]}


def test_a_duplicate_version_is_a_field_error(client_for, lead, release):
    response = client_for(lead).post(
        "/api/v1/releases/",
        {
            "service": release.service_id,
            "environment": release.environment_id,
            "version": "1.0.0",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "already has a release" in response.json()["version"][0]


def test_a_lead_transitions_a_release_through_the_lifecycle(client_for, lead, release):
    client = client_for(lead)

    refused = client.post(
        f"/api/v1/releases/{release.pk}/transition/",
        {"status": "ready"},
        format="json",
    )
    cancelled = client.post(
        f"/api/v1/releases/{release.pk}/transition/",
        {"status": "cancelled", "reason": "superseded by 1.0.1"},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["status"][0].startswith("Not ready: ")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["status_reason"] == "superseded by 1.0.1"


def test_an_engineer_cannot_transition_a_release(client_for, engineer, release):
    response = client_for(engineer).post(
        f"/api/v1/releases/{release.pk}/transition/",
        {"status": "cancelled", "reason": "no"},
        format="json",
    )

    assert response.status_code == 403
    release.refresh_from_db()
    assert release.status == "in_progress"


# Checklist items


def test_the_checklist_of_a_release_is_listed_in_order(client_for, auditor, release):
    response = client_for(auditor).get(f"/api/v1/releases/{release.pk}/items/")

    positions = [item["position"] for item in response.json()]
    assert response.status_code == 200
    assert positions == sorted(positions)
    assert response.json()[0]["state"] == "open"


def test_an_engineer_ticks_an_item_and_blocking_needs_a_note(
    client_for, engineer, release
):
    item = _first_gating_item(release)
    client = client_for(engineer)

    ticked = client.post(
        f"/api/v1/items/{item.pk}/state/", {"state": "done"}, format="json"
    )
    blocked = client.post(
        f"/api/v1/items/{item.pk}/state/", {"state": "blocked"}, format="json"
    )

    assert ticked.status_code == 200
    assert ticked.json()["state"] == "done"
    assert ticked.json()["changed_by"] == engineer.username
    assert blocked.status_code == 400
    assert blocked.json() == {
        "note": ["Say why this item is blocked or not applicable."]
    }


def test_an_auditor_cannot_tick_an_item(client_for, auditor, release):
    item = _first_gating_item(release)

    response = client_for(auditor).post(
        f"/api/v1/items/{item.pk}/state/", {"state": "done"}, format="json"
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.state == "open"


def test_another_teams_item_cannot_be_ticked(client_for, outsider, release):
    item = _first_gating_item(release)

    response = client_for(outsider).post(
        f"/api/v1/items/{item.pk}/state/", {"state": "done"}, format="json"
    )

    assert response.status_code == 404


# Sign-offs


def test_an_engineer_records_a_sign_off(client_for, engineer, release):
    role = release.signoff_roles[0]["key"]

    response = client_for(engineer).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": role, "decision": "approve"},
        format="json",
    )
    listed = client_for(engineer).get(f"/api/v1/signoffs/?release={release.pk}")

    assert response.status_code == 201
    assert response.json()["user"] == engineer.username
    assert [row["role_key"] for row in listed.json()["results"]] == [role]


def test_a_rejection_without_a_comment_is_refused(client_for, engineer, release):
    role = release.signoff_roles[0]["key"]

    response = client_for(engineer).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": role, "decision": "reject"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"comment": ["Say why you reject this release."]}


def test_an_auditor_cannot_sign_off(client_for, auditor, release):
    role = release.signoff_roles[0]["key"]

    response = client_for(auditor).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": role, "decision": "approve"},
        format="json",
    )

    assert response.status_code == 403
    assert not SignOff.objects.exists()


def test_another_teams_release_cannot_be_signed_off(client_for, outsider, release):
    response = client_for(outsider).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": "technical_lead", "decision": "approve"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"release": ["No such release."]}


# Catalog, contacts, templates


def test_services_and_environments_are_scoped_to_the_team(
    client_for, engineer, outsider, environment
):
    mine = client_for(engineer)
    theirs = client_for(outsider)

    services = mine.get("/api/v1/services/").json()["results"]
    environments = mine.get(
        f"/api/v1/environments/?service={environment.service_id}"
    ).json()["results"]

    assert [row["id"] for row in services] == [environment.service_id]
    assert [row["name"] for row in environments] == ["staging"]
    assert theirs.get("/api/v1/services/").json()["results"] == []
    assert theirs.get(f"/api/v1/environments/{environment.pk}/").status_code == 404


def test_contacts_and_support_resources_are_scoped_to_the_team(
    client_for, auditor, outsider, team
):
    Contact.objects.create(team=team, role="DevOps Lead", name="Ada")
    SupportResource.objects.create(
        team=team, kind="status_page", label="Status", url="https://status.example"
    )

    contacts = client_for(auditor).get("/api/v1/contacts/").json()["results"]
    resources = client_for(auditor).get("/api/v1/support-resources/").json()
    theirs = client_for(outsider).get("/api/v1/contacts/").json()["results"]

    assert [row["name"] for row in contacts] == ["Ada"]
    assert [row["label"] for row in resources["results"]] == ["Status"]
    assert theirs == []


def test_a_template_exports_to_markdown_that_imports_back(
    client_for, lead, team, template
):
    client = client_for(lead)

    exported = client.get(f"/api/v1/templates/{template.pk}/export/")
    imported = client.post(
        "/api/v1/templates/import/",
        {"source": exported.json()["markdown"], "name": "ours", "team": team.pk},
        format="json",
    )
    again = client.get(f"/api/v1/templates/{imported.json()['id']}/export/")

    assert exported.status_code == 200
    assert exported.json()["markdown"].startswith("# Production Deployment Checklist")
    assert imported.status_code == 201
    assert imported.json()["team"] == team.pk
    assert again.json()["markdown"] == exported.json()["markdown"]


def test_a_malformed_template_is_refused_with_its_line(client_for, lead, team):
    response = client_for(lead).post(
        "/api/v1/templates/import/",
        {"source": "no title here\n", "team": team.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["source"]


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_only_leads_import_templates(client_for, team, template, role, request):
    response = client_for(request.getfixturevalue(role)).post(
        "/api/v1/templates/import/",
        {"source": template.source, "name": "x", "team": team.pk},
        format="json",
    )

    assert response.status_code == 403


# Audit events


@pytest.mark.parametrize("role", ["lead", "auditor"])
def test_leads_and_auditors_read_the_audit_trail(client_for, release, role, request):
    client = client_for(request.getfixturevalue(role))

    response = client.get(f"/api/v1/audit-events/?release={release.pk}")

    actions = [row["action"] for row in response.json()["results"]]
    assert response.status_code == 200
    assert actions == ["release.transitioned", "release.created"]
    assert "next" in response.json() and "count" not in response.json()


def test_engineers_cannot_read_the_audit_trail(client_for, engineer, release):
    response = client_for(engineer).get("/api/v1/audit-events/")

    assert response.status_code == 403


def test_the_audit_trail_does_not_show_other_teams_events(
    client_for, outsider, release
):
    response = client_for(outsider).get("/api/v1/audit-events/")

    release_ids = {row["release_id"] for row in response.json()["results"]}
    assert response.status_code == 200
    assert release.pk not in release_ids


def test_audit_events_page_by_cursor(client_for, lead, release):
    client = client_for(lead)

    first = client.get("/api/v1/audit-events/?page_size=1").json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 1
    assert first["results"][0]["seq"] > second["results"][0]["seq"]
