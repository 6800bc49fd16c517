"""GitHub mappings: leads add and remove them on the page and over the API, through
one audited service; other roles and other teams cannot."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.integrations.models import GitHubMapping
from apps.integrations.services import github_mapping_create
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/github/mappings/"


def body(environment, **fields):
    return {
        "repository": "acme/shop",
        "environment_name": "production",
        "service": environment.service_id,
        "environment": environment.pk,
        **fields,
    }


def test_a_lead_maps_a_repository_over_the_api(client_for, lead, environment):
    response = client_for(lead).post(URL, body(environment), format="json")
    assert response.status_code == 201
    assert response.json()["repository"] == "acme/shop"
    mapping = GitHubMapping.objects.get()
    assert mapping.environment == environment
    event = AuditEvent.objects.get(action="github_mapping.created")
    assert event.after["repository"] == "acme/shop"
    listed = client_for(lead).get(URL).json()
    assert [row["id"] for row in listed["results"]] == [mapping.pk]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"repository": "shop"}, "repository", "owner/name"),
        ({"environment_name": " "}, "environment_name", "may not be blank"),
    ],
)
def test_a_bad_mapping_is_refused_with_a_message(
    client_for,
    lead,
    environment,
    fields,
    field,
    message,
):
    response = client_for(lead).post(URL, body(environment, **fields), format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not GitHubMapping.objects.exists()


def test_a_repository_environment_is_mapped_once(client_for, lead, environment):
    api = client_for(lead)
    assert api.post(URL, body(environment), format="json").status_code == 201
    again = api.post(URL, body(environment), format="json")
    assert again.status_code == 400
    assert "mapped already" in str(again.json())


def test_an_engineer_cannot_map_and_another_team_sees_nothing(
    client_for,
    lead,
    engineer,
    outsider,
    environment,
):
    refused = client_for(engineer).post(URL, body(environment), format="json")
    assert refused.status_code == 403
    client_for(lead).post(URL, body(environment), format="json")
    assert client_for(outsider).get(URL).json()["results"] == []
    other = factories.EnvironmentFactory(service__team=outsider.memberships.get().team)
    foreign = client_for(lead).post(URL, body(other), format="json")
    assert foreign.status_code == 400
    assert GitHubMapping.objects.count() == 1


def test_a_lead_adds_and_removes_a_mapping_on_the_page(client, lead, environment):
    client.force_login(lead)
    page = client.get(reverse("integrations:github-mappings"))
    assert page.status_code == 200
    assert "Add a mapping" in page.content.decode()
    response = client.post(
        reverse("integrations:github-mapping-create"),
        {
            "repository": "acme/shop",
            "environment_name": "production",
            "environment": environment.pk,
        },
        follow=True,
    )
    assert "Mapping added." in response.content.decode()
    mapping = GitHubMapping.objects.get()
    assert "acme/shop" in response.content.decode()
    client.post(reverse("integrations:github-mapping-delete", args=[mapping.pk]))
    assert not GitHubMapping.objects.exists()
    assert AuditEvent.objects.filter(action="github_mapping.deleted").count() == 1


def test_the_page_shows_a_refusal_and_changes_nothing(client, lead, environment):
    client.force_login(lead)
    response = client.post(
        reverse("integrations:github-mapping-create"),
        {
            "repository": "no slash",
            "environment_name": "production",
            "environment": environment.pk,
        },
        follow=True,
    )
    assert "Give the repository as owner/name" in response.content.decode()
    assert not GitHubMapping.objects.exists()


def test_an_engineer_sees_the_mappings_without_controls(
    client, lead, engineer, environment
):
    github_mapping_create(
        repository="acme/shop",
        environment_name="production",
        service=environment.service,
        environment=environment,
        by=lead,
    )
    client.force_login(engineer)
    page = client.get(reverse("integrations:github-mappings")).content.decode()
    assert "acme/shop" in page
    assert "Remove" not in page
    assert "Add a mapping" not in page
