"""Readiness as code: one environment's policy as a YAML file, and back.

The file names the environment and its checklist template, and holds the
template's advisory items and runbook links, the environment's probes (with
severities and schedules) and its freeze windows. Import validates the whole file first,
reporting every problem with its line, then applies it in one transaction:
probes and freezes missing from the file are removed. Secrets are never
written: a probe names the environment variable that holds its secret, and a
secret stored encrypted stays as it is. Template changes go through
`template_change()`: on a template the importer's team does not own, they make
the team's own version, and the environment's probes verify its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import yaml
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment
from apps.checklists import services as checklist_services
from apps.checklists.models import (
    ChecklistTemplate,
    RunbookEntry,
    Severity,
    TemplateItem,
)
from apps.core import cron as recurrence
from apps.monitoring import services as monitoring_services
from apps.monitoring.models import ProbeSchedule
from apps.policy import services as policy_services
from apps.policy.models import FreezeWindow
from apps.probes import services as probe_services
from apps.probes.models import KIND_CHOICES, ProbeConfig

FORMAT_VERSION = 1
SEVERITIES = tuple(Severity.values)
KINDS = tuple(kind for kind, _ in KIND_CHOICES)

# Allowed keys of each mapping, and which must be present.
SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "": (
        {"version", "environment", "template", "probes", "freeze_windows"},
        {"version", "environment", "template"},
    ),
    "environment": ({"service", "name"}, {"service", "name"}),
    "template": ({"name", "version", "advisory_items", "runbook"}, {"name", "version"}),
    "runbook": ({"problem", "probe_kinds", "sections"}, {"problem"}),
    "probes": (
        {
            "name",
            "kind",
            "target",
            "options",
            "timeout",
            "enabled",
            "severity",
            "secret_env",
            "verifies",
            "schedule",
        },
        {"name", "kind", "target"},
    ),
    "schedule": (
        {"kind", "interval_minutes", "at_time", "cron", "time_zone", "enabled"},
        {"kind"},
    ),
    "freeze_windows": (
        {
            "name",
            "reason",
            "starts_at",
            "ends_at",
            "cron",
            "time_zone",
            "duration_minutes",
        },
        {"name"},
    ),
}


class PolicyFileError(ValueError):
    """The file is not a valid policy; `problems` are "line N: message" strings."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# Export ------------------------------------------------------------------------


def policy_export(environment: Environment, template: ChecklistTemplate) -> str:
    """The environment's policy with `template`, as YAML text."""
    advisory = sorted(
        set(
            TemplateItem.objects.filter(
                phase__template=template, severity=Severity.ADVISORY
            ).values_list("text", flat=True)
        )
    )
    runbook = [
        {"problem": e.problem, "probe_kinds": e.probe_kinds, "sections": e.sections}
        for e in RunbookEntry.objects.filter(template=template).order_by("position")
        if e.probe_kinds or e.sections
    ]
    schedules = {
        schedule.config_id: schedule
        for schedule in ProbeSchedule.objects.filter(config__environment=environment)
    }
    probes = []
    for config in environment.probe_configs.order_by("name").prefetch_related(
        "verifies"
    ):
        entry: dict[str, Any] = {
            "name": config.name,
            "kind": config.kind,
            "target": config.target,
            "options": dict(sorted(config.options.items())),
            "timeout": config.timeout,
            "enabled": config.enabled,
            "severity": config.severity,
            "verifies": sorted({item.text for item in config.verifies.all()}),
        }
        if config.secret_env:
            entry["secret_env"] = config.secret_env
        schedule = schedules.get(config.pk)
        if schedule is not None:
            entry["schedule"] = _schedule_export(schedule)
        probes.append(entry)
    freezes = []
    for window in FreezeWindow.objects.filter(environment=environment).order_by("name"):
        entry = {"name": window.name, "reason": window.reason}
        if window.recurring:
            entry.update(
                cron=window.cron,
                time_zone=window.time_zone,
                duration_minutes=window.duration_minutes,
            )
        else:
            entry.update(
                starts_at=window.starts_at.isoformat(),
                ends_at=window.ends_at.isoformat(),
            )
        freezes.append(entry)
    template_part: dict[str, Any] = {
        "name": template.name,
        "version": template.version,
        "advisory_items": advisory,
        "runbook": runbook,
    }
    document = {
        "version": FORMAT_VERSION,
        "environment": {
            "service": environment.service.slug,
            "name": environment.name,
        },
        "template": template_part,
        "probes": probes,
        "freeze_windows": freezes,
    }
    return yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def _schedule_export(schedule: ProbeSchedule) -> dict:
    entry: dict[str, Any] = {"kind": schedule.kind}
    if schedule.kind == ProbeSchedule.Kind.INTERVAL:
        entry["interval_minutes"] = schedule.interval_seconds / 60
    elif schedule.kind == ProbeSchedule.Kind.DAILY:
        entry["at_time"] = schedule.at_time.isoformat()
    else:
        entry["cron"] = schedule.cron
    entry.update(time_zone=schedule.time_zone, enabled=schedule.enabled)
    return entry


# Validation --------------------------------------------------------------------


def _check_keys(node: yaml.Node, where: str, problems: list[str]) -> None:
    """Unknown and missing keys of a mapping node, with their lines."""
    allowed, required = SCHEMA[where]
    if not isinstance(node, yaml.MappingNode):
        problems.append(
            f"line {node.start_mark.line + 1}: {where or 'the file'} must be a mapping"
        )
        return
    seen = set()
    for key, _value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
        if name in seen:
            problems.append(f"line {key.start_mark.line + 1}: {name!r} is given twice")
        seen.add(name)
        if name not in allowed:
            problems.append(
                f"line {key.start_mark.line + 1}: unknown key {name!r}"
                + (f" in {where}" if where else "")
            )
    for name in sorted(required - seen):
        problems.append(
            f"line {node.start_mark.line + 1}: {where or 'the file'} needs {name!r}"
        )


def _child(node: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value
    return None


def _list(node: yaml.Node | None, where: str, problems: list[str]) -> list[yaml.Node]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(f"line {node.start_mark.line + 1}: {where} must be a list")
        return []
    return node.value


@dataclass
class Parsed:
    data: dict
    lines: dict[tuple[str, int], int]  # (section, index) -> line


def parse(text: str) -> Parsed:
    """Check the file's shape; PolicyFileError lists every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyFileError([f"{line}not valid YAML: {problem}"]) from None
    if root is None:
        raise PolicyFileError(["line 1: the file is empty"])
    problems: list[str] = []
    _check_keys(root, "", problems)
    if problems and not isinstance(root, yaml.MappingNode):
        raise PolicyFileError(problems)
    lines: dict[tuple[str, int], int] = {}
    for name in ("environment", "template"):
        node = _child(root, name)
        if node is not None:
            _check_keys(node, name, problems)
    template = _child(root, "template")
    if isinstance(template, yaml.MappingNode):
        for index, entry in enumerate(
            _list(_child(template, "runbook"), "runbook", problems)
        ):
            _check_keys(entry, "runbook", problems)
            lines[("runbook", index)] = entry.start_mark.line + 1
        _list(_child(template, "advisory_items"), "advisory_items", problems)
    for section in ("probes", "freeze_windows"):
        for index, entry in enumerate(_list(_child(root, section), section, problems)):
            _check_keys(entry, section, problems)
            lines[(section, index)] = entry.start_mark.line + 1
            schedule = (
                _child(entry, "schedule")
                if isinstance(entry, yaml.MappingNode) and section == "probes"
                else None
            )
            if schedule is not None:
                _check_keys(schedule, "schedule", problems)
    if problems:
        raise PolicyFileError(problems)
    if data.get("version") != FORMAT_VERSION:
        raise PolicyFileError(
            [f"line {root.start_mark.line + 1}: version must be {FORMAT_VERSION}"]
        )
    return Parsed(data, lines)


def _when(value: Any, line: int, field: str, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            problems.append(f"line {line}: {field} is not a date and time")
            return None
    if parsed.tzinfo is None:
        problems.append(f"line {line}: {field} needs a UTC offset (+00:00)")
        return None
    return parsed


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


# Import ------------------------------------------------------------------------


def policy_import(text: str, *, by: User, actor_label: str = "") -> dict:
    """Validate and apply a policy file in one transaction; returns counts.

    Refuses the whole file, changing nothing, when any part is wrong, and people
    who may not manage both the team's probes and templates (leads, admins).
    """
    parsed = parse(text)
    data, lines = parsed.data, parsed.lines
    problems: list[str] = []
    env_part, tpl_part = data["environment"], data["template"]
    environment = (
        Environment.objects.filter(
            service__slug=str(env_part["service"]), name=str(env_part["name"])
        )
        .select_related("service__team")
        .first()
    )
    # Only a template the environment's team may use: a shared one or its own.
    template = ChecklistTemplate.objects.filter(
        Q(team__isnull=True)
        | Q(team_id=environment.service.team_id if environment else None),
        name=str(tpl_part["name"]),
        version=tpl_part["version"],
    ).first()
    if environment is None:
        problems.append(
            f"line 1: no environment {env_part['service']}/{env_part['name']}"
        )
    if template is None:
        problems.append(
            f"line 1: no template {tpl_part['name']} v{tpl_part['version']}"
        )
    if problems:
        raise PolicyFileError(problems)
    permissions.require(by, "manage_probes", environment.service.team)
    permissions.require(by, "manage_templates", environment.service.team)
    items = TemplateItem.objects.filter(phase__template=template)
    texts = {item.text for item in items}
    advisory = set(tpl_part.get("advisory_items") or [])
    for text_ in sorted(advisory - texts):
        problems.append(f"line 1: advisory item {text_!r} is not in the template")
    runbook = {e.problem: e for e in RunbookEntry.objects.filter(template=template)}
    for index, entry in enumerate(tpl_part.get("runbook") or []):
        line = lines[("runbook", index)]
        if entry.get("problem") not in runbook:
            problems.append(f"line {line}: no runbook entry {entry.get('problem')!r}")
        unknown = set(entry.get("probe_kinds") or []) - set(KINDS)
        if unknown:
            problems.append(f"line {line}: unknown probe kinds {sorted(unknown)}")
    probes = data.get("probes") or []
    for index, entry in enumerate(probes):
        line = lines[("probes", index)]
        if entry.get("severity", Severity.BLOCKING) not in SEVERITIES:
            problems.append(f"line {line}: severity must be blocking or advisory")
        missing = set(entry.get("verifies") or []) - texts
        if missing:
            problems.append(
                f"line {line}: verifies items not in the template: {sorted(missing)}"
            )
        if not isinstance(entry.get("options") or {}, dict):
            problems.append(f"line {line}: options must be a mapping")
    freezes = data.get("freeze_windows") or []
    for index, entry in enumerate(freezes):
        line = lines[("freeze_windows", index)]
        entry["starts_at"] = _when(entry.get("starts_at"), line, "starts_at", problems)
        entry["ends_at"] = _when(entry.get("ends_at"), line, "ends_at", problems)
        if entry.get("cron"):
            try:
                recurrence.Cron.parse(str(entry["cron"]))
            except recurrence.CronError as error:
                problems.append(f"line {line}: cron: {error}")
    if problems:
        raise PolicyFileError(problems)
    try:
        with transaction.atomic():
            counts = _apply(
                environment,
                template,
                items,
                advisory,
                tpl_part,
                probes,
                freezes,
                lines,
                by,
                actor_label,
            )
    except _Refused as refused:
        raise PolicyFileError(refused.problems) from None
    return counts


def _schedule_apply(config, wanted: dict | None, by: User, removed: list) -> None:
    """Make the probe's schedule what the file says; no entry removes it."""
    if not wanted:
        deleted, _ = ProbeSchedule.objects.filter(config=config).delete()
        if deleted:
            removed.append(config.name)
        return
    at_time = wanted.get("at_time")
    try:
        at_time = time.fromisoformat(str(at_time)) if at_time else None
    except ValueError:
        raise ValidationError({"at_time": "Give a time of day, HH:MM."}) from None
    current = ProbeSchedule.objects.filter(config=config).first()
    if current is not None and _schedule_export(current) == wanted:
        return
    monitoring_services.probe_schedule_save(
        config=config,
        by=by,
        kind=str(wanted["kind"]),
        interval_minutes=wanted.get("interval_minutes"),
        at_time=at_time,
        cron_expression=str(wanted.get("cron") or ""),
        time_zone=str(wanted.get("time_zone") or "UTC"),
        enabled=bool(wanted.get("enabled", True)),
    )


class _Refused(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems


def _apply(
    environment,
    template,
    items,
    advisory,
    tpl_part,
    probes,
    freezes,
    lines,
    by,
    actor_label,
) -> dict:
    problems: list[str] = []
    severities: dict[str, str] = {}
    removed: list[str] = []
    change = checklist_services.template_change(
        template=template,
        by=by,
        team=environment.service.team,
        advisory_items=advisory,
        runbook_links={e["problem"]: e for e in tpl_part.get("runbook") or []},
        actor_label=actor_label,
    )
    before = set(change.before.get("advisory_items", []))
    after = set(change.after.get("advisory_items", before))
    if change.template != template:
        items = TemplateItem.objects.filter(phase__template=change.template)
    by_text: dict[str, list[TemplateItem]] = {}
    for item in items:
        by_text.setdefault(item.text, []).append(item)
    existing = {c.name: c for c in environment.probe_configs.all()}
    for index, entry in enumerate(probes):
        line = lines[("probes", index)]
        config = existing.pop(str(entry["name"]), None)
        try:
            config = probe_services.probe_config_save(
                environment=environment,
                by=by,
                name=str(entry["name"]),
                kind=str(entry["kind"]),
                target=str(entry["target"]),
                options={
                    str(k): str(v) for k, v in (entry.get("options") or {}).items()
                },
                timeout=entry.get("timeout", 10.0),
                enabled=bool(entry.get("enabled", True)),
                secret=None,
                secret_env=str(entry.get("secret_env") or ""),
                verifies=[i for t in entry.get("verifies") or [] for i in by_text[t]],
                config=config,
            )
        except ValidationError as error:
            problems.append(f"line {line}: probe {entry['name']!r}: {_messages(error)}")
            continue
        try:
            _schedule_apply(config, entry.get("schedule"), by, removed)
        except ValidationError as error:
            problems.append(
                f"line {line}: schedule of {entry['name']!r}: {_messages(error)}"
            )
        severity = entry.get("severity", Severity.BLOCKING)
        if config.severity != severity:
            ProbeConfig.objects.filter(pk=config.pk).update(severity=severity)
            severities[config.name] = severity
    for name, config in existing.items():
        if config.results.exists():
            problems.append(
                f"line 1: probe {name!r} has results and cannot be removed; "
                "keep it in the file with enabled: false"
            )
        else:
            config.delete()
    windows = {w.name: w for w in FreezeWindow.objects.filter(environment=environment)}
    for index, entry in enumerate(freezes):
        line = lines[("freeze_windows", index)]
        try:
            policy_services.freeze_window_save(
                environment=environment,
                by=by,
                name=str(entry["name"]),
                reason=str(entry.get("reason") or ""),
                starts_at=entry.get("starts_at"),
                ends_at=entry.get("ends_at"),
                cron=str(entry.get("cron") or ""),
                time_zone=str(entry.get("time_zone") or "UTC"),
                duration_minutes=entry.get("duration_minutes"),
                window=windows.pop(str(entry["name"]), None),
            )
        except ValidationError as error:
            problems.append(
                f"line {line}: freeze {entry['name']!r}: {_messages(error)}"
            )
    for window in windows.values():
        policy_services.freeze_window_delete(window=window, by=by)
    if problems:
        raise _Refused(problems)
    audit.record(
        actor=by,
        actor_label=actor_label,
        action="policy.imported",
        target=environment,
        team_id=environment.service.team_id,
        after={
            "template": str(change.template),
            **({"template_copied_from": str(template)} if change.copied_from else {}),
            "probes": len(probes),
            "freeze_windows": len(freezes),
            "advisory_items": sorted(advisory),
            "probe_severities_changed": severities,
            "schedules_removed": removed,
        },
    )
    counts = {
        "items_changed": len(before ^ after),
        "probes": len(probes),
        "freeze_windows": len(freezes),
    }
    if change.copied_from is not None:
        counts["template"] = str(change.template)
        counts["template_copied_from"] = str(change.copied_from)
    return counts
