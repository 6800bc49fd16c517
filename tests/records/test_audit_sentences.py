"""Every action the app writes reads as a sentence in the audit log.

The actions are derived from the code, not listed here: every string given as
`action=` to a call (or assigned to a variable named `action`, or a module
constant passed as one) under apps/. The two families built at run time are
expanded from what builds them: the verification window's outcomes, and the
operator's admin saves of each registered model. A new action without an entry
in apps/records/sentences.py fails here; so does an f-string action this test
does not know how to expand.
"""

import ast
import re
from pathlib import Path

import pytest
from django.contrib import admin

from apps.audit.models import AuditEvent
from apps.policy.models import VerificationWindow
from apps.records import sentences
from tests.audit.service_scenarios import SCENARIOS, World
from tests.audit.test_services_record_what_they_change import CASES

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _strings(node: ast.AST, constants: dict[str, str]) -> tuple[set[str], set[str]]:
    """String constants an expression can be, and the f-strings it holds."""
    found, dynamic = set(), set()
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            found.add(part.value)
        elif isinstance(part, ast.Name) and part.id in constants:
            found.add(constants[part.id])
        elif isinstance(part, ast.JoinedStr):
            dynamic.add(ast.unparse(part))
    return found, dynamic


def written_actions() -> tuple[set[str], set[str]]:
    actions, dynamic = set(), set()
    for path in sorted((ROOT / "apps").rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.Call):
                values = [kw.value for kw in node.keywords if kw.arg == "action"]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "action" for t in node.targets
            ):
                values = [node.value]
            elif isinstance(node, ast.FunctionDef):
                # A keyword-only `action` with a default: `action: str = "x.y"`.
                values = [
                    default
                    for argument, default in zip(
                        node.args.kwonlyargs, node.args.kw_defaults, strict=True
                    )
                    if argument.arg == "action" and default is not None
                ]
            for value in values:
                strings, fstrings = _strings(value, constants)
                actions |= {s for s in strings if ACTION.match(s)}
                dynamic |= fstrings
    return actions, dynamic


# The f-strings that build actions, and what each can be.
def _expansions() -> dict[str, set[str]]:
    models = [model._meta.model_name for model in admin.site._registry]
    return {
        "f'verification.{window.outcome}'": {
            f"verification.{outcome}" for outcome in VerificationWindow.Outcome.values
        },
        "f'gate_request.{answer.state}'": {
            "gate_request.approved",
            "gate_request.rejected",
        },
        "f'gitlab_status_check.{status}'": {
            "gitlab_status_check.passed",
            "gitlab_status_check.failed",
        },
        "f'gitlab_deployment.{answer.state}'": {
            "gitlab_deployment.approved",
            "gitlab_deployment.rejected",
        },
        "f\"{obj._meta.model_name}.{('changed' if change else 'created')}\"": {
            f"{model}.{verb}" for model in models for verb in ("created", "changed")
        },
    }


def test_every_action_written_in_the_code_has_a_sentence():
    actions, dynamic = written_actions()
    assert {"release_item.state_changed", "membership.created"} <= actions
    assert len(actions) > 60  # the derivation found the project's actions
    expansions = _expansions()
    unknown = dynamic - expansions.keys()
    assert unknown == set(), "expand these f-string actions in _expansions()"
    for family in dynamic:
        actions |= expansions[family]
    without = sorted(a for a in actions if sentences.action_for(a) is None)
    assert without == [], "add these to apps/records/sentences.py ACTIONS"


def test_the_sentence_list_names_no_action_the_code_no_longer_writes():
    actions, _ = written_actions()
    expanded = set().union(*_expansions().values())
    stale = set(sentences.ACTIONS) - actions - expanded
    assert stale == set()


@pytest.mark.parametrize("service, number", CASES)
def test_every_event_a_service_writes_reads_as_a_sentence(
    service, number, settings, team, lead, engineer, environment, template, release
):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    world = World(team, lead, engineer, environment, template, release)
    call = SCENARIOS[service][number](world)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    call()
    for event in AuditEvent.objects.filter(seq__gt=head or 0).select_related("actor"):
        assert sentences.action_for(event.action), event.action
        text = str(sentences.sentence(event, release if event.release_id else None))
        assert "{" not in text and event.action not in text, text
        for change in sentences.changes(event):
            assert "{" not in change.before + change.after, (event.action, change)
