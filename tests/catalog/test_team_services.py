"""Team settings, services and environments: leads and admins add and change
them through the catalog services; engineers and auditors read; another team
sees nothing; bad input names its field and writes nothing."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.catalog.models import Environment, Service
from tests import factories


def _page(team) -> str:
    return reverse("services:team", args=[team.slug])


def test_a_lead_adds_a_service_and_its_environment(client, lead, team):
    client.force_login(lead)
    response = client.post(
        reverse("services:service-new", args=[team.slug]),
        {"name": "Storefront API", "repository_url": "git.example.com/shop"},
    )
    assert response.status_code == 302
    service = Service.objects.get(team=team, name="Storefront API")
    assert service.slug == "storefront-api"
    assert service.repository_url == "https://git.example.com/shop"
    assert AuditEvent.objects.latest("seq").action == "service.created"

    response = client.post(
        reverse("services:environment-new", args=[service.pk]),
        {
            "name": "production",
            "base_url": "https://shop.example.com",
            "api_url": "https://api.shop.example.com",
            "k8s_namespace": "shop-prod",
            "probe_zone": "eu-west",
            "notes": "Blue/green.",
        },
    )
    assert response.status_code == 302
    environment = Environment.objects.get(service=service)
    assert (environment.k8s_namespace, environment.probe_zone) == (
        "shop-prod",
        "eu-west",
    )
    assert AuditEvent.objects.latest("seq").action == "environment.created"
    page = client.get(_page(team)).content.decode()
    assert "Storefront API" in page and "https://api.shop.example.com" in page


def test_a_lead_edits_an_environment(client, lead, team, environment):
    client.force_login(lead)
    url = reverse("services:environment-edit", args=[environment.pk])
    assert 'value="http://127.0.0.1:9"' in client.get(url).content.decode()
    response = client.post(
        url, {"name": "staging", "base_url": "https://stage.example.com"}
    )
    assert response.status_code == 302
    environment.refresh_from_db()
    assert environment.base_url == "https://stage.example.com"
    event = AuditEvent.objects.latest("seq")
    assert event.action == "environment.changed"
    assert event.after == {"base_url": "https://stage.example.com"}


def test_a_bad_namespace_is_a_field_error_and_nothing_is_written(
    client, lead, environment
):
    client.force_login(lead)
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("services:environment-edit", args=[environment.pk]),
        {"name": "staging", "k8s_namespace": "Shop_Prod"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-error" id="id_k8s_namespace-error"' in html
    assert "Use lower-case letters, digits and hyphens" in html
    environment.refresh_from_db()
    assert environment.k8s_namespace == ""
    assert AuditEvent.objects.count() == events


def test_a_duplicate_service_name_is_a_field_error(client, lead, team, environment):
    client.force_login(lead)
    response = client.post(
        reverse("services:service-new", args=[team.slug]),
        {"name": environment.service.name},
    )
    assert response.status_code == 200
    assert "Another service of the team has this name." in response.content.decode()
    assert Service.objects.filter(team=team).count() == 1


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_read_but_cannot_write(client, team, environment, role):
    person = factories.member(team, role)
    client.force_login(person)
    page = client.get(_page(team)).content.decode()
    assert environment.service.name in page and "New service" not in page
    events = AuditEvent.objects.count()
    for url, data in [
        (reverse("services:service-new", args=[team.slug]), {"name": "X"}),
        (
            reverse("services:service-edit", args=[environment.service_id]),
            {"name": "Y"},
        ),
        (
            reverse("services:environment-new", args=[environment.service_id]),
            {"name": "z"},
        ),
        (reverse("services:environment-edit", args=[environment.pk]), {"name": "w"}),
    ]:
        assert client.post(url, data).status_code == 403
        assert client.get(url).status_code == 403
    assert AuditEvent.objects.count() == events


def test_another_teams_lead_sees_and_changes_nothing(
    client, outsider, team, environment
):
    client.force_login(outsider)
    assert client.get(_page(team)).status_code == 404
    for url in [
        reverse("services:service-new", args=[team.slug]),
        reverse("services:service-edit", args=[environment.service_id]),
        reverse("services:environment-new", args=[environment.service_id]),
        reverse("services:environment-edit", args=[environment.pk]),
    ]:
        assert client.post(url, {"name": "mine"}).status_code == 404
    assert not Environment.objects.filter(name="mine").exists()


def test_the_services_page_costs_the_same_queries_for_many_services(
    client, lead, team, django_assert_max_num_queries
):
    for _ in range(12):
        service = factories.ServiceFactory(team=team)
        factories.EnvironmentFactory(service=service)
        factories.EnvironmentFactory(service=service, name="production")
    client.force_login(lead)
    with django_assert_max_num_queries(7):
        assert client.get(_page(team)).status_code == 200
