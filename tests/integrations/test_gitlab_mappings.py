"""GitLab mappings: leads add and remove them and store each one's access token,
on the page and over the API, through one audited service; the token is stored
encrypted and never shown, answered or audited again."""

import logging

import pytest

from apps.audit.models import AuditEvent
from apps.integrations.models import GitLabMapping
from apps.integrations.services import gitlab_token_decrypt

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/gitlab/mappings/"
TOKEN = "glpat-Secret0123456789abcd"


def body(environment, **fields):
    return {
        "project_path": "acme/payments/shop",
        "environment_name": "production",
        "service": environment.service_id,
        "environment": environment.pk,
        "access_token": TOKEN,
        **fields,
    }


def test_a_lead_maps_a_project_and_the_token_is_never_shown_again(
    client_for, lead, environment, client, caplog
):
    caplog.set_level(logging.DEBUG)
    api = client_for(lead)
    response = api.post(URL, body(environment), format="json")
    assert response.status_code == 201
    assert response.json()["project_path"] == "acme/payments/shop"
    assert response.json()["has_token"] is True
    mapping = GitLabMapping.objects.get()
    assert TOKEN not in mapping.access_token_encrypted
    assert gitlab_token_decrypt(mapping) == TOKEN
    event = AuditEvent.objects.get(action="gitlab_mapping.created")
    assert event.after["credential"] == "stored"
    listed = api.get(URL).content.decode()
    client.force_login(lead)
    page = client.get("/integrations/gitlab/").content.decode()
    assert "acme/payments/shop" in page and "stored" in page
    for text in (listed, page, str(event.after), caplog.text):
        assert TOKEN not in text


def test_a_lead_replaces_and_forgets_the_token(client_for, lead, environment):
    api = client_for(lead)
    mapping_id = api.post(
        URL, body(environment, access_token=""), format="json"
    ).json()["id"]
    assert GitLabMapping.objects.get().has_token is False
    stored = api.put(
        f"{URL}{mapping_id}/token/", {"access_token": TOKEN}, format="json"
    )
    assert stored.status_code == 200 and stored.json()["has_token"] is True
    assert TOKEN not in stored.content.decode()
    forgotten = api.put(
        f"{URL}{mapping_id}/token/", {"access_token": ""}, format="json"
    )
    assert forgotten.json()["has_token"] is False
    changes = AuditEvent.objects.filter(action="gitlab_mapping.token_changed")
    assert [e.after["credential"] for e in changes.order_by("seq")] == [
        "stored",
        "none",
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"project_path": "shop"}, "project_path", "full path"),
        ({"environment_name": " "}, "environment_name", "may not be blank"),
        ({"access_token": "two words"}, "access_token", "exactly as GitLab"),
    ],
)
def test_a_bad_mapping_is_refused_with_a_message(
    client_for, lead, environment, fields, field, message
):
    response = client_for(lead).post(URL, body(environment, **fields), format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not GitLabMapping.objects.exists()


def test_a_project_environment_is_mapped_once_and_engineers_cannot_map(
    client_for, lead, engineer, outsider, environment
):
    assert (
        client_for(engineer).post(URL, body(environment), format="json").status_code
        == 403
    )
    api = client_for(lead)
    assert api.post(URL, body(environment), format="json").status_code == 201
    again = api.post(URL, body(environment), format="json")
    assert again.status_code == 400 and "mapped already" in str(again.json())
    assert client_for(outsider).get(URL).json()["results"] == []


def test_a_lead_maps_and_removes_on_the_page(client, lead, environment):
    client.force_login(lead)
    response = client.post(
        "/integrations/gitlab/mappings/",
        {
            "project_path": "acme/shop",
            "environment_name": "production",
            "environment": environment.pk,
            "access_token": TOKEN,
        },
        follow=True,
    )
    assert "Mapping added." in response.content.decode()
    mapping = GitLabMapping.objects.get()
    assert mapping.has_token
    response = client.post(
        f"/integrations/gitlab/mappings/{mapping.pk}/delete/", follow=True
    )
    assert "Mapping removed." in response.content.decode()
    assert not GitLabMapping.objects.exists()
    assert AuditEvent.objects.filter(action="gitlab_mapping.deleted").exists()
