"""Severity set in the browser: the probe configuration form, a template's items
(and their `(advisory)` marker through Markdown export and import)."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.checklists import markdown
from apps.checklists import services as checklist_services
from apps.checklists.models import ChecklistTemplate, TemplateItem
from apps.probes.models import ProbeConfig
from apps.readiness.readiness import compute_readiness
from apps.releases import services as release_services

CHECKLIST = """# Small

## Pre-Deployment

### 1. Checks

- [ ] Tests pass
- [ ] Changelog written (advisory)
- [ ] Migrations reviewed (advisory): `manage.py showmigrations`
"""


def test_the_advisory_marker_after_an_item_is_read_and_printed_back():
    document = markdown.parse(CHECKLIST)
    items = [item for _, _, item in document.checklist_items()]

    assert [(i.text, i.command, i.advisory) for i in items] == [
        ("Tests pass", "", False),
        ("Changelog written", "", True),
        ("Migrations reviewed", "manage.py showmigrations", True),
    ]
    assert markdown.render(document) == CHECKLIST


@pytest.mark.django_db
def test_severity_survives_a_template_export_and_import(team, lead):
    first = checklist_services.template_import(
        source=CHECKLIST, name="small", by=lead, team=team
    )
    exported = checklist_services.template_export(first)
    second = checklist_services.template_import(
        source=exported.replace("Tests pass", "Tests pass (advisory)"),
        name="small",
        by=lead,
        team=team,
    )

    severities = dict(
        TemplateItem.objects.filter(phase__template=first).values_list(
            "text", "severity"
        )
    )
    assert severities == {
        "Tests pass": "blocking",
        "Changelog written": "advisory",
        "Migrations reviewed": "advisory",
    }
    assert "- [ ] Changelog written (advisory)\n" in exported
    assert (
        "- [ ] Migrations reviewed (advisory): `manage.py showmigrations`" in exported
    )
    assert set(
        TemplateItem.objects.filter(phase__template=second).values_list(
            "severity", flat=True
        )
    ) == {"advisory"}


@pytest.mark.django_db
def test_a_lead_marks_template_items_advisory_and_new_releases_only_warn(
    client, team, lead, environment
):
    template = checklist_services.template_import(
        source=CHECKLIST, name="small", by=lead, team=team
    )
    client.force_login(lead)
    page = client.get(reverse("checklists:detail", args=[template.pk])).text

    response = client.post(
        reverse("checklists:options", args=[template.pk]),
        {"advisory_items": ["Tests pass", "Changelog written"]},
        follow=True,
    )

    assert "Severity of items: 2 advisory" in page
    assert 'value="Migrations reviewed"' in page
    assert response.status_code == 200
    severities = dict(
        TemplateItem.objects.filter(phase__template=template).values_list(
            "text", "severity"
        )
    )
    assert severities == {
        "Tests pass": "advisory",
        "Changelog written": "advisory",
        "Migrations reviewed": "blocking",
    }
    event = AuditEvent.objects.filter(action="template.changed").latest("id")
    assert event.after["advisory_items"] == ["Changelog written", "Tests pass"]
    release = release_services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.0",
        by=lead,
    )
    readiness = compute_readiness(release)
    assert [b.text for b in readiness.blockers if b.type == "item"] == [
        "Migrations reviewed (open)"
    ]
    assert len(readiness.warnings) == 2


@pytest.mark.django_db
def test_an_engineer_cannot_change_item_severity(client, team, lead, engineer):
    template = checklist_services.template_import(
        source=CHECKLIST, name="small", by=lead, team=team
    )
    client.force_login(engineer)

    page = client.get(reverse("checklists:detail", args=[template.pk])).text
    response = client.post(
        reverse("checklists:options", args=[template.pk]),
        {"advisory_items": ["Tests pass"]},
    )

    assert "Severity of items" not in page
    assert response.status_code == 403
    assert (
        TemplateItem.objects.get(phase__template=template, text="Tests pass").severity
        == "blocking"
    )


@pytest.mark.django_db
def test_the_options_api_sets_advisory_items(client_for, team, lead):
    template = checklist_services.template_import(
        source=CHECKLIST, name="small", by=lead, team=team
    )

    response = client_for(lead).post(
        f"/api/v1/templates/{template.pk}/options/",
        {"advisory_items": []},
        format="json",
    )
    unknown = client_for(lead).post(
        f"/api/v1/templates/{template.pk}/options/",
        {"advisory_items": ["No such item"]},
        format="json",
    )

    assert response.status_code == 200
    assert not TemplateItem.objects.filter(severity="advisory").exists()
    assert unknown.status_code == 400
    assert "advisory_items" in unknown.json()
    assert ChecklistTemplate.objects.filter(name="small").count() == 1


@pytest.mark.django_db
def test_a_lead_makes_a_probe_advisory_in_its_form(client, environment, lead):
    client.force_login(lead)
    fields = {
        "name": "Search latency",
        "kind": "http",
        "target": "http://127.0.0.1:9/",
        "timeout": "5",
        "enabled": "on",
    }
    form = client.get(reverse("catalog:probe-new", args=[environment.pk])).text

    created = client.post(
        reverse("catalog:probe-new", args=[environment.pk]),
        {**fields, "severity": "advisory"},
    )
    config = ProbeConfig.objects.get()
    edit = client.get(reverse("catalog:probe-edit", args=[config.pk])).text
    changed = client.post(
        reverse("catalog:probe-edit", args=[config.pk]),
        {**fields, "severity": "blocking"},
    )

    assert '<option value="advisory">Advisory</option>' in form
    assert created.status_code == 302
    assert '<option value="advisory" selected>Advisory</option>' in edit
    assert changed.status_code == 302
    config.refresh_from_db()
    assert config.severity == "blocking"
    event = AuditEvent.objects.filter(action="probe_config.changed").get()
    assert (event.before, event.after) == (
        {"severity": "advisory"},
        {"severity": "blocking"},
    )


@pytest.mark.django_db
def test_the_probe_api_sets_severity_and_refuses_others(client_for, environment, lead):
    body = {
        "environment": environment.pk,
        "name": "Search latency",
        "kind": "http",
        "target": "http://127.0.0.1:9/",
    }

    created = client_for(lead).post(
        "/api/v1/probe-configs/", {**body, "severity": "advisory"}, format="json"
    )
    wrong = client_for(lead).post(
        "/api/v1/probe-configs/",
        {**body, "name": "Other", "severity": "optional"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["severity"] == "advisory"
    assert ProbeConfig.objects.get().severity == "advisory"
    assert wrong.status_code == 400
    assert list(wrong.json()) == ["severity"]
