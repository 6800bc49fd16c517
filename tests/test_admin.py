"""The Django admin: an operator's tool, for superusers only, through the services.

Team members do everything in the pages; tests/resilience/test_access_control.py
checks every admin URL for every other kind of user, and that each writable
admin's saves are audited.
"""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from apps.accounts.models import Team
from apps.audit.models import AuditEvent
from apps.contacts.models import Contact
from apps.releases.models import Release
from tests import factories


@pytest.fixture
def operator(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


def test_a_superuser_creates_a_release_and_ticks_an_item_in_admin(
    client, operator, environment, template
):
    client.force_login(operator)
    response = client.post(
        "/admin/releases/release/add/",
        {
            "service": environment.service.pk,
            "environment": environment.pk,
            "template": template.pk,
            "version": "3.1.0",
            "notes": "",
        },
    )
    assert response.status_code == 302
    release = Release.objects.get(version="3.1.0")
    assert release.items.count() == 109
    assert (
        AuditEvent.objects.filter(action="release.created", actor=operator).count() == 1
    )

    page = client.get(f"/admin/releases/release/{release.pk}/change/")
    assert page.status_code == 200
    formset = page.context["inline_admin_formsets"][0].formset
    data = {"target_status": "", "reason": ""}
    management = formset.management_form
    for name, field in management.fields.items():
        data[f"{formset.prefix}-{name}"] = management.initial.get(name, field.initial)
    first = None
    for index, form in enumerate(formset.forms):
        data[f"{formset.prefix}-{index}-id"] = form.instance.pk
        data[f"{formset.prefix}-{index}-release"] = release.pk
        state = form.instance.state
        if first is None and form.instance.kind == "check":
            first, state = form.instance, "done"
        data[f"{formset.prefix}-{index}-state"] = state
        data[f"{formset.prefix}-{index}-note"] = form.instance.note
    response = client.post(f"/admin/releases/release/{release.pk}/change/", data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == "done"
    assert first.changed_by == operator
    assert (
        AuditEvent.objects.filter(
            action="release_item.state_changed", target_id=str(first.pk)
        ).count()
        == 1
    )


def test_a_staff_auditor_cannot_add_releases_in_admin(
    client, auditor, environment, template
):
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    response = client.post(
        "/admin/releases/release/add/",
        {
            "service": environment.service.pk,
            "environment": environment.pk,
            "template": template.pk,
            "version": "3.1.0",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Release.objects.exists()


def test_another_teams_staff_lead_cannot_plant_a_contact_or_list_releases(
    client, release, team, outsider
):
    outsider.is_staff = True
    outsider.save()
    client.force_login(outsider)

    planted = client.post(
        "/admin/contacts/contact/add/",
        {"team": team.pk, "role": "Emergency contact", "escalation_order": 1},
    )
    listing = client.get("/admin/releases/release/")

    assert planted.status_code == listing.status_code == 302
    assert not Contact.objects.filter(team=team).exists()
    assert "1.0.0" not in listing.content.decode()


def test_a_team_admin_who_is_not_a_superuser_cannot_create_teams(client, team):
    admin_role = factories.member(team, "admin", is_staff=True)
    client.force_login(admin_role)

    response = client.post("/admin/accounts/team/add/", {"name": "Rogue"})

    assert response.status_code == 302
    assert not Team.objects.filter(name="Rogue").exists()


def test_a_superuser_creates_a_team_through_team_create(client, operator):
    client.force_login(operator)

    response = client.post(
        "/admin/accounts/team/add/",
        {
            "name": "Payments",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    clash = client.post(
        "/admin/accounts/team/add/",
        {
            "name": "payments",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    team = Team.objects.get(name="Payments")
    assert team.slug == "payments"
    event = AuditEvent.objects.get(action="team.created")
    assert (event.actor, event.target_id, event.team_id) == (
        operator,
        str(team.pk),
        team.pk,
    )
    # "payments" makes the same address as "Payments": refused, saying why.
    assert clash.status_code == 302
    assert Team.objects.count() == 1
    assert "Choose a name no other team has." in [
        str(m) for m in clash.wsgi_request._messages
    ]


def test_demo_users_are_not_staff_and_the_demo_auditor_gets_no_admin(
    db, client, settings
):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    auditor = User.objects.get(username="auditor")
    # An older seed made them staff: seeding again takes that back.
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    call_command("seed_demo", stdout=StringIO())

    users = User.objects.filter(username__in=["lead", "engineer", "auditor"])
    assert sorted(users.values_list("username", "is_staff")) == [
        ("auditor", False),
        ("engineer", False),
        ("lead", False),
    ]
    client.post(
        "/admin/login/",
        {"username": "auditor", "password": "shipshape-auditor"},
    )
    assert client.get("/admin/").status_code == 302
