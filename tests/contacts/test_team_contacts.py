"""Team settings, contacts and support resources: leads and admins add, change
(escalation order included) and remove them; engineers and auditors read;
another team sees nothing; bad input names its field and writes nothing."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.contacts.models import Contact, SupportResource
from tests import factories


def _page(team) -> str:
    return reverse("contacts:team", args=[team.slug])


def test_a_lead_adds_contacts_and_changes_their_escalation_order(
    client, lead, team, environment
):
    client.force_login(lead)
    new = reverse("contacts:contact-new", args=[team.slug])
    for role, order in (("DBA", 2), ("Release manager", 3)):
        response = client.post(
            new, {"role": role, "phone": "+49 30 1234", "escalation_order": order}
        )
        assert response.status_code == 302
    assert AuditEvent.objects.latest("seq").action == "contact.created"
    manager = Contact.objects.get(team=team, role="Release manager")
    response = client.post(
        reverse("contacts:contact-edit", args=[manager.pk]),
        {
            "role": "Release manager",
            "phone": "+49 30 1234",
            "escalation_order": 1,
            "service": environment.service_id,
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert (manager.escalation_order, manager.service_id) == (
        1,
        environment.service_id,
    )
    event = AuditEvent.objects.latest("seq")
    assert event.action == "contact.changed"
    assert event.after == {"escalation_order": 1, "service": environment.service_id}
    page = client.get(_page(team)).content.decode()
    # The role cells: the page's CSRF token, 64 random letters and digits,
    # once held "DBA".
    assert page.index("<strong>Release manager<") < page.index("<strong>DBA<")


def test_a_bad_escalation_order_is_a_field_error_and_nothing_is_written(
    client, lead, team
):
    client.force_login(lead)
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("contacts:contact-new", args=[team.slug]),
        {"role": "DBA", "escalation_order": 120},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_escalation_order-error"' in html
    assert "Use 1 to 99: 1 is called first." in html
    assert not Contact.objects.exists()
    assert AuditEvent.objects.count() == events


def test_another_teams_service_is_not_offered_nor_accepted(
    client, lead, team, outsider
):
    theirs = factories.ServiceFactory(team=outsider.memberships.get().team)
    client.force_login(lead)
    form = client.get(reverse("contacts:contact-new", args=[team.slug]))
    assert theirs.name not in form.content.decode()
    response = client.post(
        reverse("contacts:contact-new", args=[team.slug]),
        {"role": "DBA", "escalation_order": 1, "service": theirs.pk},
    )
    assert response.status_code == 200
    assert not Contact.objects.exists()


def test_a_lead_adds_edits_and_removes_a_support_resource(client, lead, team):
    client.force_login(lead)
    response = client.post(
        reverse("contacts:resource-new", args=[team.slug]),
        {"kind": "status_page", "label": "Status", "url": "status.example.com"},
    )
    assert response.status_code == 302
    resource = SupportResource.objects.get(team=team)
    assert resource.url == "https://status.example.com"
    client.post(
        reverse("contacts:resource-edit", args=[resource.pk]),
        {"kind": "status_page", "label": "Status page", "url": resource.url},
    )
    resource.refresh_from_db()
    assert resource.label == "Status page"
    assert AuditEvent.objects.latest("seq").action == "support_resource.changed"
    client.post(reverse("contacts:resource-delete", args=[resource.pk]))
    assert not SupportResource.objects.exists()
    assert AuditEvent.objects.latest("seq").action == "support_resource.deleted"


def test_a_lead_removes_a_contact(client, lead, team):
    contact = Contact.objects.create(team=team, role="DBA")
    client.force_login(lead)
    assert (
        client.post(reverse("contacts:contact-delete", args=[contact.pk])).status_code
        == 302
    )
    assert not Contact.objects.exists()
    assert AuditEvent.objects.latest("seq").action == "contact.deleted"


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_read_but_cannot_write(client, team, role):
    contact = Contact.objects.create(team=team, role="DBA")
    resource = SupportResource.objects.create(
        team=team, kind="documentation", label="Docs", url="https://docs.test/"
    )
    client.force_login(factories.member(team, role))
    page = client.get(_page(team)).content.decode()
    assert "DBA" in page and "Docs" in page and "New contact" not in page
    events = AuditEvent.objects.count()
    for url in [
        reverse("contacts:contact-new", args=[team.slug]),
        reverse("contacts:contact-edit", args=[contact.pk]),
        reverse("contacts:contact-delete", args=[contact.pk]),
        reverse("contacts:resource-new", args=[team.slug]),
        reverse("contacts:resource-edit", args=[resource.pk]),
        reverse("contacts:resource-delete", args=[resource.pk]),
    ]:
        assert client.post(url, {"role": "X", "escalation_order": 1}).status_code == 403
    assert AuditEvent.objects.count() == events
    assert Contact.objects.get().role == "DBA"


def test_another_teams_lead_sees_and_changes_nothing(client, outsider, team):
    contact = Contact.objects.create(team=team, role="DBA")
    client.force_login(outsider)
    assert client.get(_page(team)).status_code == 404
    for url in [
        reverse("contacts:contact-new", args=[team.slug]),
        reverse("contacts:contact-edit", args=[contact.pk]),
        reverse("contacts:contact-delete", args=[contact.pk]),
    ]:
        assert client.post(url, {"role": "X", "escalation_order": 1}).status_code == 404
    assert Contact.objects.get().role == "DBA"


def test_the_contacts_page_costs_the_same_queries_for_many_rows(
    client, lead, team, environment, django_assert_max_num_queries
):
    for number in range(20):
        Contact.objects.create(
            team=team, role=f"R{number}", service=environment.service
        )
        SupportResource.objects.create(
            team=team,
            kind="documentation",
            label=f"D{number}",
            url="https://docs.test/",
            service=environment.service,
        )
    client.force_login(lead)
    with django_assert_max_num_queries(7):
        assert client.get(_page(team)).status_code == 200
