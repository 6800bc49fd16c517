"""`migrate` alone gives a database the default checklist template, and
`seed_demo` (which loaded it before) finds it instead of adding another."""

from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.checklists import markdown, services
from apps.checklists.models import (
    ChecklistTemplate,
    RunbookEntry,
    SignOffRole,
    TemplateItem,
    TemplateSection,
)


def _migrate_afresh() -> None:
    """Unapply the data migration, remove what earlier tests left, apply it."""
    call_command("migrate", "checklists", "0003", verbosity=0)
    ChecklistTemplate.objects.all().delete()
    call_command("migrate", "checklists", verbosity=0)


def _outline(template: ChecklistTemplate) -> dict:
    return {
        "sections": list(
            TemplateSection.objects.filter(phase__template=template)
            .order_by("phase__position", "position")
            .values_list("phase__title", "number", "title")
        ),
        "items": list(
            TemplateItem.objects.filter(phase__template=template)
            .order_by("phase__position", "section__position", "position")
            .values_list("text", "command", "probe_kind", "severity")
        ),
        "roles": list(template.signoff_roles.values_list("key", "name")),
        "runbook": list(
            RunbookEntry.objects.filter(template=template).values_list("problem")
        ),
        "success_criteria": template.success_criteria,
    }


def test_a_freshly_migrated_database_has_the_default_template(transactional_db):
    _migrate_afresh()
    template = ChecklistTemplate.objects.get()
    assert (template.name, template.version, template.team) == ("default", 1, None)
    assert template.created_by is None
    assert template.source == services.SEED.read_text()
    document = markdown.parse(services.SEED.read_text())
    sections = [s.title for part in document.parts for s in part.sections]
    assert len(sections) == 24
    assert [row[2] for row in _outline(template)["sections"]] == sections
    assert TemplateItem.objects.filter(phase__template=template).count() == 102
    assert SignOffRole.objects.filter(template=template).count() == 6
    assert template.runbook.count() == 4
    assert "Error rate < 0.1%" in template.success_criteria
    assert not AuditEvent.objects.exists()


def test_the_migrated_template_is_what_importing_the_seed_writes(transactional_db):
    _migrate_afresh()
    migrated = ChecklistTemplate.objects.get()
    imported = services.template_import(
        source=services.SEED.read_text(), name="imported", by=None
    )
    assert _outline(migrated) == _outline(imported)
    assert len(_outline(migrated)["items"]) == 102


def test_seed_demo_after_migrate_adds_no_second_template(transactional_db, settings):
    settings.DEBUG = True
    _migrate_afresh()
    migrated = ChecklistTemplate.objects.get()
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", "--template-only", verbosity=0)
    assert list(ChecklistTemplate.objects.values_list("pk", flat=True)) == [migrated.pk]
    assert services.template_ensure_default() == migrated


def test_migrating_again_adds_no_second_template(transactional_db):
    _migrate_afresh()
    call_command("migrate", "checklists", "0003", verbosity=0)
    call_command("migrate", "checklists", verbosity=0)
    assert ChecklistTemplate.objects.filter(name="default").count() == 1
