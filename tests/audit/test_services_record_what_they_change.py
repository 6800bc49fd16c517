"""Every service's audit event holds every field the service changed (issue 17, 9).

The list of services is derived, not written down: every public function of an
`apps/*/services.py` that writes a model (it calls save, create, update, delete
and the like, itself, through a helper of its module, or through another
service it calls) is a writer. Each writer must have a scenario in
tests/audit/service_scenarios.py, which calls it on real data. The test
snapshots every table of the project around the call and compares each row
that changed with the audit events the call wrote:

- a row created, changed or deleted needs an event whose target is that row;
- each field it set or changed is named in the event: in `after` (and, when
  the row existed before, in `before`), by its name, its name without `_id`,
  or nested under a prefix (`override_by` as `override: {"by": …}`);
- a field holding the event's own actor, team, release or moment needs no
  key: the event records those in its own columns.

What needs no key is listed below with the reason: bookkeeping columns,
secrets, values derived from other recorded ones, and rows that are records in
their own right (probe results, deliveries). A new service without a scenario
fails `test_every_writing_service_has_a_scenario`.
"""

import ast
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from apps.audit.models import AuditEvent
from tests.audit.service_scenarios import SCENARIOS, World

ROOT = Path(__file__).resolve().parents[2]
WRITE_METHODS = frozenset(
    {
        "save",
        "create",
        "bulk_create",
        "update",
        "bulk_update",
        "delete",
        "get_or_create",
        "update_or_create",
        # apps/audit/rows.py: a service's one row saved or deleted with its event.
        "row_save",
        "row_change",
        "row_delete",
    }
)

# Columns that describe the row, not the change.
BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "revision", "activity"})
SECRET_MARKERS = ("secret", "password", "token", "hash")
# A field recorded under another key than its name.
ALIASES = {
    ("integrations.githubmapping", "installation"): "installation_id",
    ("releases.release", "status_reason"): "reason",
    ("policy.waiver", "blocker_type"): "blocker",  # "item:12"
    ("policy.waiver", "blocker_id"): "blocker",
    ("signoffs.signoff", "role_key"): "role",
    ("signoffs.signoff", "evidence"): "evidence_digest",  # its SHA-256
    ("checklists.checklisttemplate", "based_on"): "copied_from",  # "default v1"
    ("checklists.signoffeligibility", "role_key"): "role",
    # Not a foreign key: the incident's id in the reporting tool.
    ("incidents.incident", "external"): "external_id",
}
# Fields derived from recorded values, or one model's own bookkeeping.
DERIVED = {
    ("accounts.team", "slug"): "made from the recorded name",
    ("checklists.checklisttemplate", "title"): "parsed from the source",
    ("checklists.checklisttemplate", "source"): "the imported text, kept on the "
    "template version, which never changes; the event counts what it holds",
    ("monitoring.probeschedule", "next_run_at"): "computed from the recorded rule",
    ("monitoring.probeschedule", "last_run_at"): "the dispatcher's clock",
    ("monitoring.probeschedule", "last_status"): "the monitor's memory of the "
    "last check, which is a record itself",
    ("probes.proberun", "dispatched_at"): "the task queue's bookkeeping",
    ("probes.proberun", "dispatch_count"): "the task queue's bookkeeping",
    ("probes.proberun", "note"): "the task queue's bookkeeping",
    ("probes.proberun", "config_ids"): "the probes, counted in probe_run.started",
    ("probes.proberun", "environment_snapshot"): "the recorded environment's "
    "addresses at the start",
    ("probes.proberun", "deadline"): "computed from the probes' timeouts",
    ("signoffs.signoff", "role_name"): "the release's name of the recorded role",
    ("checklists.checklisttemplate", "preamble"): "parsed from the source, or "
    "copied from the recorded template a team's own version is based on",
    ("checklists.checklisttemplate", "success_criteria"): "parsed from the source, "
    "or copied from the recorded template a team's own version is based on",
}
# Rows that are records themselves (written once, each with its own time), or
# parts created and removed with a parent whose event summarises them.
RECORDS_THEMSELVES = {
    "integrations.gaterequest": "a platform's held deploy, recorded as "
    "release.gate_requested on its release",
    "integrations.webhookdelivery": "the inbound delivery log; pruning counts "
    "the deleted in integrations.deliveries_pruned",
    "integrations.gitlabdeployment": "a GitLab deployment held on a release, "
    "recorded as release.gate_requested on its release",
    "integrations.gitlabstatuscheck": "a merge request's status check request, "
    "kept once per head; its answers are gitlab_status_check.<status> events",
    "releases.releaseitem": "the template's checklist, copied; release.created "
    "names the template and counts the items",
    "releases.releasecommit": "the commits a release carries; release.created and "
    "release.delivery_recorded list them (sha, committed_at)",
    "checklists.templatephase": "parts of an imported template (its source)",
    "checklists.templatesection": "parts of an imported template (its source)",
    "checklists.templateitem": "parts of an imported template (its source)",
    "checklists.signoffrole": "parts of an imported template (its source)",
    "checklists.runbookentry": "parts of an imported template (its source)",
    "maintenance.maintenanceitem": "the checks of a period's checklist, copied "
    "from the plan's template",
    "oncall.rotationmember": "the order of people, recorded as `members`",
    "probes.proberesult": "one probe's result, never changed; the run's event "
    "counts them",
    "monitoring.environmentcheck": "one scheduled check's result, never changed",
    "notifications.webhookdelivery": "the delivery log of an announced event",
    "notifications.notification": "the announcement of an audited change",
    "notifications.emaildelivery": "the delivery log of an announcement",
    "audit.auditverification": "the outcome of a walk of the chain, itself the record",
    "accounts.signoffgroupmember": "a group's members; the group's member_added "
    "and member_removed events name the user and the source",
    "checklists.signoffeligibilitygroup": "the groups a rule names, recorded as "
    "`groups` on its signoff_eligibility.changed event",
}
# Writers that change no audited state of their own: they need no scenario.
NOT_AUDITED = {
    "apps.audit.services.record": "writes the audit trail itself",
    "apps.notifications.services.webhook_deliveries_queue": "queues deliveries of "
    "an audited change",
    "apps.notifications.services.webhook_deliver": "sends one delivery, logged "
    "in its own row",
}
# Writers that talk to a deploy platform (its stand-in runs in tests/integrations,
# which checks their events end to end): no scenario here.
END_TO_END = {
    "apps.integrations.services.deliveries.github_delivery_receive": "stores an "
    "inbound delivery once, in its own row (the delivery log)",
    "apps.integrations.services.deliveries.github_delivery_process": "hands a "
    "stored delivery to gate_request_open (scenario below)",
    "apps.integrations.services.deliveries.github_gates_reconcile": "lists waiting "
    "runs at GitHub, then gate_request_open / gate_request_answer",
    "apps.integrations.services.gates.gate_request_answer": "answers GitHub; its "
    "gate_request.<state> event is checked in tests/integrations",
    "apps.integrations.services.gates.gate_request_commits_fill": "reads commits "
    "from GitHub and writes them through release_commits_fill (scenario below); "
    "its outcome on the gate request is the integration's bookkeeping",
    "apps.integrations.services.approvals.gitlab_deployment_answer": "answers "
    "GitLab; its gitlab_deployment.<state> event is checked in tests/integrations",
    "apps.integrations.services.approvals.gitlab_deployments_poll": "lists blocked "
    "deployments at GitLab, then gitlab_deployment_open (scenario below)",
    "apps.integrations.services.status_checks.gitlab_status_check_receive": "keeps "
    "a verified status check request once, in its own row",
    "apps.integrations.services.status_checks.gitlab_status_check_answer": "answers "
    "GitLab; its gitlab_status_check.<status> event is checked in tests/integrations",
    "apps.integrations.services.gitlab_deliveries.gitlab_delivery_receive": "stores "
    "an inbound delivery once, in its own row (the delivery log)",
    "apps.integrations.services.gitlab_deliveries.gitlab_delivery_process": "hands "
    "a stored delivery to release_gate_request_set (scenario below)",
}
# Writers whose scenario changes no row but the trail's own, or bookkeeping.
CHANGES_NOTHING_RECORDED = {
    "apps.audit.services.audit_head_publish": "appends the published head only",
    "apps.audit.services.audit_prune": "nothing is older than the retention",
    "apps.checklists.services.templates.template_ensure_default": "the default exists; "
    "template_import's scenario covers making it",
    "apps.records.services.audit_events_export": "appends the export event only",
    "apps.records.services.deployment_record_export": "appends the export event",
    "apps.probes.services.probe_test_config": "appends the test event only",
}


def _service_modules() -> dict[str, Path]:
    paths = [*ROOT.glob("apps/*/services.py"), *ROOT.glob("apps/*/services/*.py")]
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for path in sorted(paths)
    }


def writing_services() -> list[str]:
    """Public functions of apps/*/services.py that write, found by reading them."""
    direct: dict[str, bool] = {}
    calls: dict[str, set[str]] = {}
    for module, path in _service_modules().items():
        tree = ast.parse(path.read_text())
        aliases = {
            alias.asname or alias.name: f"{node.module}.{alias.name}"
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("apps")
            for alias in node.names
        }
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            name, writes, called = f"{module}.{node.name}", False, set()
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                func = call.func
                if isinstance(func, ast.Attribute):
                    writes |= func.attr in WRITE_METHODS
                    if isinstance(func.value, ast.Name) and func.value.id in aliases:
                        called.add(f"{aliases[func.value.id]}.{func.attr}")
                elif isinstance(func, ast.Name) and func.id in functions:
                    called.add(f"{module}.{func.id}")
                elif isinstance(func, ast.Name) and func.id in aliases:
                    called.add(aliases[func.id])
            direct[name], calls[name] = writes, called

    def writes(name: str, seen: frozenset = frozenset()) -> bool:
        if name not in direct or name in seen:
            return False
        return direct[name] or any(writes(c, seen | {name}) for c in calls[name])

    return sorted(
        name
        for name in direct
        if not name.rsplit(".", 1)[1].startswith("_") and writes(name)
    )


# Snapshots --------------------------------------------------------------------


def _models() -> list[type[models.Model]]:
    skipped = {"audit.auditevent", "audit.audithead"}
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("apps.")
        and model._meta.label_lower not in skipped
        and not model._meta.proxy
    ]


def snapshot() -> dict[str, dict[Any, dict]]:
    return {
        model._meta.label_lower: {row["id"]: row for row in model.objects.values()}
        for model in _models()
    }


@dataclass
class Change:
    model: str
    pk: Any
    kind: str  # created, changed or deleted
    fields: dict[str, Any] = field(default_factory=dict)


def changes(before: dict, after: dict) -> list[Change]:
    found = []
    for label, rows in after.items():
        old_rows = before[label]
        model = apps.get_model(label)
        defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
        for pk, row in rows.items():
            if pk not in old_rows:
                set_fields = {
                    k: v
                    for k, v in row.items()
                    if v not in (None, "", [], {}) and v != defaults.get(k)
                }
                found.append(Change(label, pk, "created", set_fields))
            else:
                diff = {k: v for k, v in row.items() if old_rows[pk].get(k) != v}
                if diff:
                    found.append(Change(label, pk, "changed", diff))
        for pk in old_rows.keys() - rows.keys():
            kept = {k: v for k, v in old_rows[pk].items() if v not in (None, "", [])}
            found.append(Change(label, pk, "deleted", kept))
    return found


def _named(values: dict, name: str) -> bool:
    """Whether the event side names the field, or holds it in a group of fields
    (`override_by` in `override`: {"by": …}, or `override`: None when unset)."""
    if name in values:
        return True
    prefix, _, rest = name.partition("_")
    if not rest or prefix not in values:
        return False
    return values[prefix] is None or rest in values[prefix]


def missing(change: Change, events: list[AuditEvent], since, until) -> list[str]:
    """What of the change no event of the call records; [] when all of it is."""
    target = [
        e
        for e in events
        if (e.target_type, e.target_id) == (change.model, str(change.pk))
    ]
    problems = []
    for attname, value in change.fields.items():
        name = attname.removesuffix("_id")
        if (
            attname in BOOKKEEPING
            or (change.model, name) in DERIVED
            or any(marker in name for marker in SECRET_MARKERS)
        ):
            continue
        if any(
            (attname == f"{name}_id" and value is not None and value == e.actor_id)
            or (name == "team" and value == e.team_id)
            or (name == "release" and value == e.release_id)
            or (isinstance(value, datetime) and since <= value <= until)
            for e in target
        ):
            continue
        key = ALIASES.get((change.model, name), name)
        sides = {"created": ("after",), "changed": ("before", "after")}
        needed = sides.get(change.kind, ("before",))
        if not any(
            all(_named(getattr(e, side), key) for side in needed) for e in target
        ):
            problems.append(f"{change.model}#{change.pk} {change.kind}: {name}")
    if not change.fields and not target and change.kind != "changed":
        problems.append(f"{change.model}#{change.pk} {change.kind}: no event")
    return problems


def test_every_writing_service_has_a_scenario():
    writers = set(writing_services())
    assert len(writers) > 30  # the derivation found the project's services
    without = writers - SCENARIOS.keys() - NOT_AUDITED.keys() - END_TO_END.keys()
    assert without == set(), "add a scenario below for each of these services"
    stale = (SCENARIOS.keys() | NOT_AUDITED.keys() | END_TO_END.keys()) - writers
    assert stale == set(), "these are no longer writing services"


CASES = [
    pytest.param(service, number, id=f"{service.removeprefix('apps.')}-{number}")
    for service, builds in sorted(SCENARIOS.items())
    for number in range(len(builds))
]


@pytest.mark.parametrize("service, number", CASES)
def test_the_audit_event_names_every_field_the_service_changed(
    service, number, settings, team, lead, engineer, environment, template, release
):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    world = World(team, lead, engineer, environment, template, release)
    call = SCENARIOS[service][number](world)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    before, since = snapshot(), timezone.now()

    call()

    until, after = timezone.now(), snapshot()
    events = list(AuditEvent.objects.filter(seq__gt=head or 0).order_by("seq"))
    found = [
        change
        for change in changes(before, after)
        if change.kind != "changed" or set(change.fields) - BOOKKEEPING
    ]
    assert bool(found) != (service in CHANGES_NOTHING_RECORDED), found
    problems = [
        problem
        for change in found
        if change.model not in RECORDS_THEMSELVES
        for problem in missing(change, events, since, until)
    ]
    assert not problems, "not in the audit event:\n  " + "\n  ".join(problems)
