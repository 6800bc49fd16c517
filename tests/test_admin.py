"""The whole flow works in the Django admin, through the same services."""

from apps.audit.models import AuditEvent
from apps.releases.models import Release


def test_lead_creates_a_release_and_ticks_an_item_in_admin(
    client, lead, environment, template
):
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
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
    assert AuditEvent.objects.filter(action="release.created", actor=lead).count() == 1

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
    assert first.changed_by == lead
    assert (
        AuditEvent.objects.filter(
            action="release_item.state_changed", target_id=str(first.pk)
        ).count()
        == 1
    )


def test_auditor_cannot_add_releases_in_admin(client, auditor, environment, template):
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
    assert response.status_code == 403
    assert not Release.objects.exists()


def test_admin_lists_only_own_teams_releases(client, release, outsider):
    outsider.is_staff = True
    outsider.save()
    client.force_login(outsider)
    response = client.get("/admin/releases/release/")
    assert response.status_code == 200
    assert "1.0.0" not in response.content.decode()
