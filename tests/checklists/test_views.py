"""Template pages: list, view, export, and import with a preview before saving."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.checklists import services
from apps.checklists.models import ChecklistTemplate

SMALL = """# Tiny Checklist

## Pre-Deployment

### 1. Code

- [ ] Tests pass
- [ ] Migrations reviewed

## Sign-Off

- [ ] Technical Lead approval
"""


def test_templates_are_listed_and_shown(client, auditor, template):
    client.force_login(auditor)
    listing = client.get(reverse("checklists:list"))
    assert listing.status_code == 200
    assert template.title in listing.text
    assert "Import Markdown" not in listing.text
    page = client.get(reverse("checklists:detail", args=[template.pk]))
    assert page.status_code == 200
    assert "Technical Lead" in page.text
    assert "alembic upgrade head" in page.text


def test_export_gives_back_the_markdown(client, engineer, template):
    client.force_login(engineer)
    response = client.get(
        reverse("checklists:export", args=[template.pk]) + "?download"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == services.template_export(template)


def test_another_teams_template_is_not_found(client, lead, outsider, template):
    private = services.template_import(
        source=SMALL, name="private", by=outsider, team=outsider.memberships.get().team
    )
    client.force_login(lead)
    assert (
        client.get(reverse("checklists:detail", args=[private.pk])).status_code == 404
    )


def test_pasted_markdown_is_previewed_and_not_saved(client, lead, team):
    client.force_login(lead)
    response = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "name": "tiny", "source": SMALL, "action": "preview"},
    )
    assert response.status_code == 200
    assert "Preview: Tiny Checklist" in response.text
    assert "Migrations reviewed" in response.text or "1 item" in response.text
    assert not ChecklistTemplate.objects.filter(name="tiny").exists()


def test_uploaded_markdown_is_saved_as_a_new_version(client, lead, team):
    client.force_login(lead)
    upload = SimpleUploadedFile("tiny.md", SMALL.encode(), content_type="text/markdown")
    preview = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "name": "tiny", "file": upload, "action": "preview"},
    )
    assert "Save as a new version" in preview.text
    saved = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "name": "tiny", "source": SMALL, "action": "save"},
    )
    template = ChecklistTemplate.objects.get(name="tiny")
    assert saved.status_code == 302
    assert saved["Location"] == reverse("checklists:detail", args=[template.pk])
    assert template.team == team and template.version == 1


def test_malformed_markdown_names_the_line(client, lead, team):
    client.force_login(lead)
    response = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "source": "no title here\n- [ ] x\n", "action": "save"},
    )
    assert response.status_code == 200
    assert "line 1" in response.text
    assert not ChecklistTemplate.objects.exclude(name="default").exists()


def test_empty_import_asks_for_a_file_or_text(client, lead, team):
    client.force_login(lead)
    response = client.post(reverse("checklists:import"), {"team": team.pk})
    assert "Choose a file or paste the Markdown." in response.text


def test_engineer_cannot_import(client, engineer, team):
    client.force_login(engineer)
    assert client.get(reverse("checklists:import")).status_code == 403
    response = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "source": SMALL, "action": "save"},
    )
    assert response.status_code == 403
    assert not ChecklistTemplate.objects.filter(title="Tiny Checklist").exists()
