"""The page and the API where a team chooses who may sign each role and keeps its
sign-off groups: every page action has an API counterpart, and each is audited."""

from django.urls import reverse

from apps.accounts import services as accounts
from apps.accounts.models import SignOffGroup, SignOffGroupMember
from apps.audit.models import AuditEvent
from apps.checklists.models import SignOffEligibility
from tests import factories
from tests.api.conftest import client_for

__all__ = ["client_for"]  # the API suite's fixture: a client with a real token
HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(team) -> str:
    return reverse("signoffs:signers", args=[team.pk])


def test_the_page_lists_every_role_as_open_until_configured(
    client, engineer, team, template, django_assert_max_num_queries
):
    client.force_login(engineer)
    with django_assert_max_num_queries(10):
        response = client.get(_page(team))

    assert response.status_code == 200
    assert "Who may sign for " + team.name in response.text
    assert response.text.count("Open: anyone on the team may sign this role.") == 6
    assert "Choose who may sign" not in response.text  # engineers only read it


def test_a_lead_chooses_who_signs_a_role_on_the_page(
    client, lead, second_engineer, team, template
):
    client.force_login(lead)
    response = client.post(
        reverse("signoffs:signers-role", args=[team.pk, "security_review"]),
        {
            "security_review-team_roles": ["lead"],
            "security_review-users": [second_engineer.pk],
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert 'id="signers"' in response.text
    assert f"Signed by leads, {second_engineer.username}." in response.text
    rule = SignOffEligibility.objects.get(team=team, role_key="security_review")
    assert rule.team_roles == ["lead"]
    assert list(rule.users.all()) == [second_engineer]
    event = AuditEvent.objects.get(action="signoff_eligibility.changed")
    assert event.after == {
        "role": "security_review",
        "anyone": False,
        "team_roles": ["lead"],
        "users": [second_engineer.username],
    }


def test_an_engineer_cannot_choose_who_signs(client, engineer, team, template):
    client.force_login(engineer)
    response = client.post(
        reverse("signoffs:signers-role", args=[team.pk, "security_review"]),
        {"security_review-users": [engineer.pk]},
        **HTMX,
    )

    assert response.status_code == 403
    assert not SignOffEligibility.objects.exists()
    assert not AuditEvent.objects.filter(action="signoff_eligibility.changed").exists()


def test_an_admin_keeps_a_group_on_the_page(client, team, engineer, template):
    admin = factories.member(team, "admin")
    client.force_login(admin)
    created = client.post(
        reverse("signoffs:group-create", args=[team.pk]),
        {"name": "Security reviewers"},
        **HTMX,
    )
    group = SignOffGroup.objects.get()
    added = client.post(
        reverse("signoffs:group-member-add", args=[group.pk]),
        {"user": engineer.pk},
        **HTMX,
    )
    removed = client.post(
        reverse("signoffs:group-member-remove", args=[group.pk, engineer.pk]),
        **HTMX,
    )
    renamed = client.post(
        reverse("signoffs:group-rename", args=[group.pk]), {"name": "AppSec"}, **HTMX
    )
    deleted = client.post(reverse("signoffs:group-delete", args=[group.pk]), **HTMX)

    assert "Group Security reviewers created." in created.text
    assert f"Added {engineer.username} to Security reviewers." in added.text
    assert f"Removed {engineer.username} from Security reviewers." in removed.text
    assert "Renamed to AppSec." in renamed.text
    assert "Group AppSec deleted." in deleted.text
    assert list(
        AuditEvent.objects.filter(team_id=team.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "signoff_group.created",
        "signoff_group.member_added",
        "signoff_group.member_removed",
        "signoff_group.renamed",
        "signoff_group.deleted",
    ]


def test_a_lead_cannot_keep_groups(client, lead, team, template):
    client.force_login(lead)
    response = client.post(
        reverse("signoffs:group-create", args=[team.pk]), {"name": "Mine"}, **HTMX
    )

    assert response.status_code == 403
    assert not SignOffGroup.objects.exists()


def test_a_group_named_by_a_role_cannot_be_deleted(client, client_for, team, template):
    admin = factories.member(team, "admin")
    group = accounts.signoff_group_create(team=team, name="Security", by=admin)
    api = client_for(admin)
    api.post(
        "/api/v1/signoff-eligibility/",
        {"team": team.pk, "role_key": "security_review", "groups": [group.pk]},
        format="json",
    )
    client.force_login(admin)
    page = client.post(reverse("signoffs:group-delete", args=[group.pk]), **HTMX)
    response = api.delete(f"/api/v1/signoff-groups/{group.pk}/")

    message = (
        "A sign-off role names Security; choose who signs that role without it first."
    )
    assert message in page.text
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}
    assert SignOffGroup.objects.filter(pk=group.pk).exists()
    assert not AuditEvent.objects.filter(action="signoff_group.deleted").exists()


def test_the_api_keeps_groups_and_chooses_signers(
    client_for, team, engineer, second_engineer, template
):
    admin = factories.member(team, "admin")
    api = client_for(admin)
    created = api.post(
        "/api/v1/signoff-groups/",
        {"team": team.pk, "name": "Product owners"},
        format="json",
    )
    group = created.json()["id"]
    added = api.post(
        f"/api/v1/signoff-groups/{group}/members/",
        {"user": engineer.username, "source": "external"},
        format="json",
    )
    renamed = api.patch(
        f"/api/v1/signoff-groups/{group}/", {"name": "POs"}, format="json"
    )
    chosen = api.post(
        "/api/v1/signoff-eligibility/",
        {"team": team.pk, "role_key": "product_owner", "groups": [group]},
        format="json",
    )
    listed = api.get(f"/api/v1/signoff-eligibility/?team={team.pk}").json()
    removed = api.delete(f"/api/v1/signoff-groups/{group}/members/{engineer.username}/")
    cleared = api.post(
        "/api/v1/signoff-eligibility/",
        {"team": team.pk, "role_key": "product_owner"},
        format="json",
    )

    assert created.status_code == 201
    assert added.status_code == 201
    assert added.json()["members"][0]["user"] == engineer.username
    assert added.json()["members"][0]["source"] == "external"
    assert renamed.json()["name"] == "POs"
    assert chosen.status_code == 200
    assert chosen.json()["who"] == "POs (group)"
    owner = next(row for row in listed if row["role_key"] == "product_owner")
    assert (owner["anyone"], owner["groups"]) == (False, [group])
    assert [row["anyone"] for row in listed].count(True) == 5
    assert removed.status_code == 204
    assert not SignOffGroupMember.objects.exists()
    assert cleared.json()["anyone"] is True
    assert cleared.json()["who"] == "anyone on the team may sign this role"
    assert AuditEvent.objects.filter(action__startswith="signoff_").count() == 6


def test_the_api_refuses_signers_outside_the_team_and_engineers(
    client_for, team, lead, engineer, outsider, template
):
    stranger = client_for(lead).post(
        "/api/v1/signoff-eligibility/",
        {"team": team.pk, "role_key": "support", "users": [outsider.username]},
        format="json",
    )
    refused = client_for(engineer).post(
        "/api/v1/signoff-eligibility/",
        {"team": team.pk, "role_key": "support", "users": [engineer.username]},
        format="json",
    )

    assert stranger.status_code == 400
    assert stranger.json() == {
        "users": [f"Not members of {team} who may sign off: {outsider.username}."]
    }
    assert refused.status_code == 403
    assert not SignOffEligibility.objects.exists()
    assert not AuditEvent.objects.filter(action="signoff_eligibility.changed").exists()
