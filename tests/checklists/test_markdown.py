"""The Markdown checklist parser and printer (no database)."""

from pathlib import Path

import pytest

from apps.checklists import markdown

SEED = Path(__file__).resolve().parents[2] / "apps/checklists/seed"
SEED_TEXT = (SEED / "production-deployment-checklist.md").read_text()


def test_seed_round_trips_exactly():
    assert markdown.render(markdown.parse(SEED_TEXT)) == SEED_TEXT


def test_seed_items_and_roles_are_all_found():
    document = markdown.parse(SEED_TEXT)
    checkbox_lines = [
        line for line in SEED_TEXT.splitlines() if line.startswith("- [ ]")
    ]
    assert len(checkbox_lines) == 108
    found = document.checklist_items()
    assert len(found) == 108
    kinds = {part.kind for part, _, _ in found}
    assert kinds == {
        "pre_deployment",
        "post_deployment",
        "maintenance",
        "signoff",
    }
    signoff = [p for p in document.parts if p.kind == "signoff"][0]
    assert [markdown.role_key(i.text) for i in signoff.items] == [
        "technical_lead",
        "security_review",
        "product_owner",
        "operations",
        "support",
        "stakeholders",
    ]


def test_command_is_split_from_item_text():
    document = markdown.parse(SEED_TEXT)
    items = {item.text: item for _, _, item in document.checklist_items()}
    assert items["Run migrations"].command == "alembic upgrade head"
    assert items["Generate new SECRET_KEY"].command == "openssl rand -hex 32"
    assert items["Health endpoints responding"].details == [
        "  - Backend: `curl https://api.your-domain.com/health`",
        "  - Frontend: `curl https://your-domain.com`",
    ]


def test_conditional_items_are_optional():
    document = markdown.parse(SEED_TEXT)
    items = {item.text: item for _, _, item in document.checklist_items()}
    assert items["Set up read replicas (if needed)"].required is False
    assert items["Penetration testing (if required)"].required is False
    assert items["All unit tests passing"].required is True


def test_deployment_steps_are_parsed_with_commands():
    document = markdown.parse(SEED_TEXT)
    deployment = [p for p in document.parts if p.kind == "deployment"][0]
    steps = markdown.steps_from_body(deployment.sections[1].body, "k8s")
    assert len(steps) == 10
    assert steps[0] == markdown.Step(
        "Create namespace", "kubectl apply -f k8s/namespace.yaml"
    )


def test_runbook_entries_keep_commands_and_causes():
    document = markdown.parse(SEED_TEXT)
    runbook = [p for p in document.parts if p.kind == "runbook"][0]
    entry = markdown.runbook_entry(runbook.sections[1])
    assert entry.problem == "Backend pods crashing"
    assert entry.causes == [
        "Missing environment variables",
        "Database connection issues",
        "Out of memory",
    ]
    assert "kubectl describe pod -l app=backend" in entry.commands


def test_success_criteria_are_listed():
    document = markdown.parse(SEED_TEXT)
    criteria = [p for p in document.parts if p.kind == "criteria"][0]
    assert "Response times < 500ms (p95)" in markdown.success_criteria(criteria)
    assert "Error rate < 0.1%" in markdown.success_criteria(criteria)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("", 1, "empty"),
        ("no title\n", 1, "'# Title'"),
        ("# T\n- [ ] orphan\n", 2, "needs a '## Phase'"),
        ("# T\n### 1. S\n", 2, "needs a '## Phase'"),
        ("# T\n## Pre-Deployment\n### 1. S\n-[ ] bad\n", 4, "malformed"),
        ("# T\n## Pre-Deployment\n### 1. S\n- [] bad\n", 4, "malformed"),
        ("# T\n## Pre-Deployment\n### 1. S\n- [ ] a\n```bash\nls\n", 5, "never closed"),
        ("# T\n## Pre-Deployment\n### S\n- [ ] a\n\nprose\n- [ ] b\n", 7, "between"),
        ("# T\n## Pre-Deployment\n# Again\n", 3, "only one"),
        ("# T\n## Pre-Deployment\n### S\nno items\n", 1, "no checklist items"),
        (
            "# T\n## Sign-Off\n- [ ] Security review\n"
            "- [ ] Security review completed\n",
            4,
            "listed twice",
        ),
        ("# T\n## Random stuff\n- [ ] a\n", 2, "not a known phase"),
    ],
)
def test_malformed_checklists_name_the_line(source, line, words):
    with pytest.raises(markdown.MarkdownError) as caught:
        markdown.parse(source)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line}:")
