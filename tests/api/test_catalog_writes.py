"""Services, environments, contacts and support resources written over the API:
what each write stores and audits, and what it refuses (400 naming the field,
nothing changed). Who may write is in test_write_roles.py."""

import pytest

from apps.audit.models import AuditEvent
from apps.catalog.models import Environment, Service
from apps.contacts.models import Contact, SupportResource
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, lead):
    return client_for(lead)


def _unchanged(model, before: list) -> bool:
    return list(model.objects.order_by("pk").values()) == before


def _rows(model) -> list:
    return list(model.objects.order_by("pk").values())


def test_a_lead_adds_a_service_with_a_slug_from_its_name(api, team, lead):
    body = {"team": team.pk, "name": "Storefront API", "description": "The shop."}

    response = api.post("/api/v1/services/", body, format="json")

    service = Service.objects.get(name="Storefront API")
    assert response.status_code == 201
    assert response.json()["slug"] == "storefront-api"
    event = AuditEvent.objects.get(action="service.created")
    assert (event.actor, event.team_id, event.target_id) == (
        lead,
        team.pk,
        str(service.pk),
    )
    assert event.after == {
        "name": "Storefront API",
        "slug": "storefront-api",
        "description": "The shop.",
        "repository_url": "",
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Taken"}, "name", "Another service of the team has this name."),
        ({"name": "New", "slug": "taken"}, "slug", "Service with this Slug already"),
        ({"name": "New", "slug": "not a slug"}, "slug", "Enter a valid “slug”"),
        ({"name": "New", "repository_url": "ftp:x"}, "repository_url", "valid URL"),
        ({"name": "   "}, "name", "This field may not be blank."),
    ],
)
def test_a_refused_service_changes_nothing(api, team, body, field, message):
    factories.ServiceFactory(team=team, name="Taken", slug="taken")
    before, events = _rows(Service), AuditEvent.objects.count()

    response = api.post("/api/v1/services/", {"team": team.pk, **body}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]
    assert _unchanged(Service, before)
    assert AuditEvent.objects.count() == events


def test_changing_a_service_audits_only_what_changed(api, environment):
    service = environment.service
    path = f"/api/v1/services/{service.pk}/"

    response = api.patch(path, {"repository_url": "https://git.test/shop"}, "json")

    assert response.status_code == 200
    assert response.json()["name"] == service.name
    event = AuditEvent.objects.get(action="service.changed")
    assert (event.before, event.after) == (
        {"repository_url": ""},
        {"repository_url": "https://git.test/shop"},
    )


def test_a_change_that_changes_nothing_records_nothing(api, environment):
    service = environment.service
    path = f"/api/v1/services/{service.pk}/"
    before = AuditEvent.objects.count()

    response = api.patch(path, {"name": f"  {service.name} "}, "json")

    assert response.status_code == 200
    assert response.json()["name"] == service.name
    assert AuditEvent.objects.count() == before


def test_a_lead_adds_an_environment_with_its_settings(api, environment):
    body = {
        "service": environment.service_id,
        "name": "production",
        "base_url": "https://shop.example.com",
        "api_url": "https://api.shop.example.com",
        "k8s_namespace": "shop-prod",
        "probe_zone": "eu-west",
        "notes": "Blue/green.",
        "production": True,
    }

    response = api.post("/api/v1/environments/", body, format="json")

    assert response.status_code == 201
    assert {key: response.json()[key] for key in body} == body
    event = AuditEvent.objects.get(action="environment.created")
    assert event.after == body
    assert Environment.objects.get(name="production").k8s_namespace == "shop-prod"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "staging"}, "name", "already has an environment of this name"),
        ({"k8s_namespace": "Shop_Prod"}, "k8s_namespace", "lower-case letters"),
        ({"base_url": "not a url"}, "base_url", "valid URL"),
        ({"probe_zone": "eu west"}, "probe_zone", "valid “slug”"),
    ],
)
def test_a_refused_environment_change_changes_nothing(
    api, environment, body, field, message
):
    other = factories.EnvironmentFactory(service=environment.service, name="prod")
    before, events = _rows(Environment), AuditEvent.objects.count()

    response = api.patch(f"/api/v1/environments/{other.pk}/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]
    assert _unchanged(Environment, before)
    assert AuditEvent.objects.count() == events


def test_a_lead_adds_a_contact_of_a_service_and_changes_its_escalation_order(
    api, team, environment
):
    body = {
        "team": team.pk,
        "service": environment.service_id,
        "role": "DBA",
        "name": "Dana",
        "email": "dana@example.com",
        "phone": "+49 30 1234",
        "escalation_order": 3,
    }

    created = api.post("/api/v1/contacts/", body, format="json")
    changed = api.patch(
        f"/api/v1/contacts/{created.json()['id']}/", {"escalation_order": 1}, "json"
    )

    assert created.status_code == 201
    assert changed.json()["escalation_order"] == 1
    assert AuditEvent.objects.get(action="contact.created").after == {
        **{key: value for key, value in body.items() if key != "team"},
    }
    event = AuditEvent.objects.get(action="contact.changed")
    assert (event.before, event.after) == (
        {"escalation_order": 3},
        {"escalation_order": 1},
    )


def test_a_service_of_another_of_the_leads_teams_is_refused_for_a_contact(
    api, team, lead
):
    elsewhere = factories.TeamFactory()
    factories.MembershipFactory(team=elsewhere, user=lead, role="lead")
    service = factories.ServiceFactory(team=elsewhere)
    body = {"team": team.pk, "service": service.pk, "role": "DBA"}

    response = api.post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"service": ["No such service."]}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"escalation_order": 0}, "escalation_order"),
        ({"email": "not an address"}, "email"),
        ({"role": ""}, "role"),
    ],
)
def test_a_refused_contact_changes_nothing(api, team, body, field):
    contact = Contact.objects.create(team=team, role="DBA", phone="1")
    before, events = _rows(Contact), AuditEvent.objects.count()

    response = api.patch(f"/api/v1/contacts/{contact.pk}/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert _unchanged(Contact, before)
    assert AuditEvent.objects.count() == events


def test_removing_a_contact_is_audited_with_what_it_was(api, team):
    contact = Contact.objects.create(team=team, role="DBA", phone="1")

    response = api.delete(f"/api/v1/contacts/{contact.pk}/")

    assert response.status_code == 204
    assert not Contact.objects.exists()
    assert AuditEvent.objects.get(action="contact.deleted").before == {
        "service": None,
        "role": "DBA",
        "name": "",
        "email": "",
        "phone": "1",
        "escalation_order": 1,
    }


def test_support_resources_are_added_changed_and_removed(api, team):
    body = {
        "team": team.pk,
        "kind": "status_page",
        "label": "Status",
        "url": "https://status.example.com",
    }

    created = api.post("/api/v1/support-resources/", body, format="json")
    path = f"/api/v1/support-resources/{created.json()['id']}/"
    changed = api.patch(path, {"label": "Public status"}, format="json")
    removed = api.delete(path)

    assert (created.status_code, changed.status_code, removed.status_code) == (
        201,
        200,
        204,
    )
    assert changed.json()["label"] == "Public status"
    assert [
        event.action
        for event in AuditEvent.objects.filter(
            action__startswith="support_resource."
        ).order_by("seq")
    ] == [
        "support_resource.created",
        "support_resource.changed",
        "support_resource.deleted",
    ]
    assert not SupportResource.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": "pager"}, "kind"), ({"url": "javascript:alert(1)"}, "url")],
)
def test_a_refused_support_resource_changes_nothing(api, team, body, field):
    valid = {"kind": "documentation", "label": "Docs", "url": "https://docs.test/"}
    events = AuditEvent.objects.count()

    response = api.post(
        "/api/v1/support-resources/", {"team": team.pk, **valid, **body}, "json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not SupportResource.objects.exists()
    assert AuditEvent.objects.count() == events
