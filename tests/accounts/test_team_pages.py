"""Team settings, members: the team's admins add people, change their roles and
remove them; everyone else reads; another team sees nothing."""

import pytest
from django.urls import reverse

from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from tests import factories


@pytest.fixture
def admin(team):
    return factories.member(team, "admin")


def _page(team) -> str:
    return reverse("accounts:team", args=[team.slug])


def test_an_admin_adds_a_person_by_email_with_a_role(client, admin, team):
    newcomer = factories.UserFactory(email="nia@example.com")
    client.force_login(admin)
    response = client.post(
        reverse("accounts:member-add", args=[team.slug]),
        {"person": "NIA@example.com", "role": "lead"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=newcomer).role == "lead"
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor) == ("membership.created", admin)
    assert newcomer.username in client.get(_page(team)).content.decode()


def test_an_unknown_person_is_a_field_error_and_nothing_is_written(client, admin, team):
    client.force_login(admin)
    before = (Membership.objects.count(), AuditEvent.objects.count())
    response = client.post(
        reverse("accounts:member-add", args=[team.slug]),
        {"person": "nobody@example.com", "role": "lead"},
    )
    assert response.status_code == 200
    assert "No account has that username or email." in response.content.decode()
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


def test_an_admin_changes_a_role_and_removes_a_member(client, admin, team, engineer):
    client.force_login(admin)
    membership = engineer.memberships.get(team=team)
    client.post(
        reverse("accounts:member-role", args=[team.slug, membership.pk]),
        {f"m{membership.pk}-role": "auditor"},
    )
    membership.refresh_from_db()
    assert membership.role == "auditor"
    assert AuditEvent.objects.latest("seq").action == "membership.changed"
    client.post(reverse("accounts:member-remove", args=[team.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.latest("seq").action == "membership.removed"


def test_the_last_admin_cannot_be_removed(client, admin, team):
    client.force_login(admin)
    membership = admin.memberships.get(team=team)
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("accounts:member-remove", args=[team.slug, membership.pk]),
        follow=True,
    )
    assert "The team needs another admin first" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", ["lead", "engineer", "auditor"])
def test_only_admins_change_members(client, team, role):
    person = factories.member(team, role)
    other = factories.member(team, "engineer")
    membership = other.memberships.get(team=team)
    client.force_login(person)
    page = client.get(_page(team)).content.decode()
    assert other.username in page and "Add member" not in page
    for url, data in [
        (
            reverse("accounts:member-add", args=[team.slug]),
            {"person": factories.UserFactory().username, "role": "admin"},
        ),
        (
            reverse("accounts:member-role", args=[team.slug, membership.pk]),
            {f"m{membership.pk}-role": "admin"},
        ),
        (reverse("accounts:member-remove", args=[team.slug, membership.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "engineer"


def test_another_teams_admin_sees_and_changes_nothing(client, team, engineer):
    stranger = factories.member(factories.TeamFactory(), "admin")
    membership = engineer.memberships.get(team=team)
    client.force_login(stranger)
    assert client.get(_page(team)).status_code == 404
    remove = reverse("accounts:member-remove", args=[team.slug, membership.pk])
    assert client.post(remove).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_account_menu_leads_to_team_settings(client, engineer, team):
    client.force_login(engineer)
    dashboard = client.get(reverse("releases:dashboard")).content.decode()
    assert f'href="{reverse("accounts:teams")}">Team settings<' in dashboard
    teams = client.get(reverse("accounts:teams")).content.decode()
    assert f'href="{_page(team)}"' in teams


def test_the_members_page_costs_the_same_queries_for_many_members(
    client, admin, team, django_assert_max_num_queries
):
    for _ in range(30):
        factories.member(team, "engineer")
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        assert client.get(_page(team)).status_code == 200


def test_the_api_adds_and_removes_members_through_the_same_service(admin, team, client):
    from rest_framework.test import APIClient

    newcomer = factories.UserFactory()
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/team-members/",
        {"team": team.pk, "user": newcomer.username, "role": "engineer"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.latest("seq").action == "membership.created"
    pk = response.json()["id"]
    assert api.delete(f"/api/v1/team-members/{pk}/").status_code == 204
    assert AuditEvent.objects.latest("seq").action == "membership.removed"
