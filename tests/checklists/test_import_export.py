"""import_checklist and export_checklist, with the database."""

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.checklists import services
from apps.checklists.models import ChecklistTemplate, SignOffRole, TemplateItem

SEED_TEXT = services.SEED.read_text()


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "checklist.md"
    path.write_text(SEED_TEXT)
    return path


def test_import_then_export_reproduces_the_seed(db, seed_file, capsys):
    call_command("import_checklist", str(seed_file), "--name", "prod")
    assert (
        "Imported prod v1 with 102 items and 6 sign-off roles"
        in capsys.readouterr().out
    )
    call_command("export_checklist", "prod")
    assert capsys.readouterr().out == SEED_TEXT


def test_importing_again_makes_a_new_version(db, seed_file):
    call_command("import_checklist", str(seed_file), "--name", "prod")
    call_command("import_checklist", str(seed_file), "--name", "prod")
    assert list(
        ChecklistTemplate.objects.filter(name="prod").values_list("version", flat=True)
    ) == [2, 1]


def test_import_records_an_audit_event(db, seed_file):
    call_command("import_checklist", str(seed_file), "--name", "prod")
    event = AuditEvent.objects.get(action="template.imported")
    assert event.after["name"] == "prod"
    assert event.after["items"] == 102
    assert event.actor_label == "system"


def test_default_template_holds_every_item_of_the_seed(db):
    template = services.template_ensure_default()
    items = TemplateItem.objects.filter(phase__template=template)
    assert items.count() == 102
    assert items.filter(phase__kind="maintenance").count() == 14
    assert items.filter(phase__kind="post_deployment").count() == 34
    assert list(
        SignOffRole.objects.filter(template=template).values_list("name", flat=True)
    ) == [
        "Technical Lead",
        "Security review",
        "Product Owner",
        "Operations",
        "Support",
        "Stakeholders",
    ]
    assert items.get(text="Health endpoints responding").probe_kind == "http"
    assert template.runbook.count() == 4
    assert "Error rate < 0.1%" in template.success_criteria


def test_malformed_file_names_the_line_and_imports_nothing(db, tmp_path):
    # The migrated test database holds the default template; start without it.
    ChecklistTemplate.objects.all().delete()
    path = tmp_path / "bad.md"
    path.write_text("# T\n## Pre-Deployment\n### 1. S\n- [ ] ok\n- [x]broken\n")
    with pytest.raises(CommandError, match=r"line 5: malformed checklist item"):
        call_command("import_checklist", str(path))
    assert ChecklistTemplate.objects.count() == 0
    assert TemplateItem.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_non_utf8_file_is_refused(db, tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("# Tést\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_checklist", str(path))


def test_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_checklist", str(tmp_path / "nope.md"))


def test_export_of_unknown_template_lists_known_ones(db):
    services.template_ensure_default()
    with pytest.raises(CommandError, match="No template named 'nope'. Known: default"):
        call_command("export_checklist", "nope")


def test_commands_report_errors_without_traceback(db, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "bad.md"
    path.write_text("# T\n## Pre-Deployment\n```\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "import_checklist", str(path)],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "line 3" in result.stderr
