"""Importing, exporting and changing checklist templates. Every change is audited.

Templates are owned: a team's by that team, a shared one (no team) by the
administrators. Changing a template someone does not own gives their team its
own version instead (copy on write), which only that team's new releases use.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.audit import services as audit
from apps.checklists import markdown, selectors
from apps.checklists.models import (
    ChecklistTemplate,
    RunbookEntry,
    Severity,
    SignOffRole,
    TemplateItem,
    TemplatePhase,
    TemplateSection,
)
from apps.checklists.selectors import DEFAULT_NAME

OPTIONS = ("allow_creator_approval", "allow_shared_signoffs")
SHARED_REFUSED = (
    "Only an administrator can change a template every team shares; name your "
    "team to give it its own version."
)
SEED = (
    Path(__file__).resolve().parents[1] / "seed" / "production-deployment-checklist.md"
)

# Which probe kind can verify which item of the default checklist, by its text.
PROBE_KIND_BY_TEXT = {
    "health endpoints responding": "http",
    "health checks configured": "http",
    "ssl/tls working correctly": "tls",
    "ssl certificates installed": "tls",
    "enable https/tls certificates": "tls",
    "security headers present": "headers",
    "configure security headers": "headers",
    "configure csp (content security policy)": "headers",
    "cors working as expected": "headers",
    "database queries working": "postgres",
    "redis caching working": "redis",
    "cache hit rate acceptable": "redis",
    "celery tasks processing": "queue",
    "response times acceptable": "http",
    "rate limiting active": "ratelimit",
    "enable rate limiting": "ratelimit",
    "dns records updated": "dns",
    "kubernetes cluster ready": "k8s",
    "resource limits set": "k8s",
    "auto-scaling rules set": "k8s",
    "metrics being collected": "prometheus",
}


def _lines(text: str) -> list[str]:
    return text.splitlines() if text else []


@dataclass(frozen=True)
class TemplateModels:
    """The model classes a template is written to: the app's own, or those of a
    migration's state (the data migration that loads the default template)."""

    template: type = ChecklistTemplate
    phase: type = TemplatePhase
    section: type = TemplateSection
    item: type = TemplateItem
    role: type = SignOffRole
    runbook: type = RunbookEntry


@transaction.atomic
def template_import(
    *, source: str, name: str = "", by: User | None, team: Team | None = None
) -> ChecklistTemplate:
    """Parse Markdown into a new version of the named template, all or nothing.

    The version belongs to `team`, or with no team to every team (administrators
    only). Raises ValidationError naming the bad line; nothing is written then.
    """
    _require_team_templates(by, team)
    template, counts = _template_rows_write(
        source=source,
        name=name,
        team_id=team.pk if team else None,
        by_id=by.pk if by else None,
    )
    audit.record(
        actor=by,
        action="template.imported",
        target=template,
        team_id=team.pk if team else None,
        after={"name": template.name, "version": template.version, **counts},
    )
    return template


def _template_rows_write(
    *,
    source: str,
    name: str,
    team_id: int | None,
    by_id: int | None,
    models: TemplateModels = TemplateModels(),
) -> tuple[ChecklistTemplate, dict[str, int]]:
    """Write the rows of a new template version parsed from Markdown, and count
    its items and sign-off roles; the caller checks permissions and audits.

    Raises ValidationError naming the bad line before anything is written.
    """
    try:
        document = markdown.parse(source)
    except markdown.MarkdownError as error:
        raise ValidationError({"source": str(error)}) from None
    name = (name or document.title).strip()[:120]
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    template = models.template.objects.create(
        name=name,
        version=_next_version(name, models.template),
        title=document.title[:200],
        preamble="\n".join(document.preamble),
        team_id=team_id,
        source=source,
        created_by_id=by_id,
    )
    items: list[TemplateItem] = []
    roles: list[SignOffRole] = []
    runbook: list[RunbookEntry] = []
    for part_position, part in enumerate(document.parts):
        phase = models.phase.objects.create(
            template=template,
            position=part_position,
            title=part.title[:200],
            kind=part.kind,
            body="\n".join(part.body),
            trailer="\n".join(part.trailer),
        )
        if part.kind == "criteria":
            template.success_criteria = markdown.success_criteria(part)
        if part.kind == "signoff":
            roles += [
                models.role(
                    template=template,
                    position=position,
                    key=markdown.role_key(item.text)[:60],
                    name=markdown.role_name(item.text)[:120],
                    label=item.text,
                )
                for position, item in enumerate(part.items)
            ]
        else:
            items += _items(models.item, phase, None, part.items)
        for section_position, section in enumerate(part.sections):
            steps = []
            if part.kind in ("deployment", "rollback"):
                steps = [
                    {"title": step.title, "command": step.command}
                    for step in markdown.steps_from_body(section.body, section.title)
                ]
            row = models.section.objects.create(
                phase=phase,
                position=section_position,
                number=section.number,
                title=section.title[:200],
                body="\n".join(section.body),
                trailer="\n".join(section.trailer),
                steps=steps,
            )
            items += _items(models.item, phase, row, section.items)
            if part.kind == "runbook":
                entry = markdown.runbook_entry(section)
                runbook.append(
                    models.runbook(
                        template=template,
                        position=len(runbook),
                        problem=entry.problem[:200],
                        commands=entry.commands,
                        causes=entry.causes,
                    )
                )
    models.item.objects.bulk_create(items)
    models.role.objects.bulk_create(roles)
    models.runbook.objects.bulk_create(runbook)
    template.save(update_fields=["success_criteria"])
    return template, {"items": len(items), "signoff_roles": len(roles)}


def _require_team_templates(by: User | None, team: Team | None) -> None:
    """Refuse people who may not change `team`'s templates, and anyone but an
    administrator (or the system, as None) a template every team shares."""
    if by is None:
        return
    if team is None:
        if not by.is_superuser:
            raise ValidationError({"team": SHARED_REFUSED})
        return
    permissions.require(by, "manage_templates", team)


def _next_version(name: str, model: type = ChecklistTemplate) -> int:
    """The next version number of a name, with the name's rows locked so two
    imports cannot take the same number."""
    latest = model.objects.select_for_update().filter(name=name)
    return (latest.aggregate(v=Max("version"))["v"] or 0) + 1


def _items(
    model: type,
    phase: TemplatePhase,
    section: TemplateSection | None,
    items: list[markdown.Item],
) -> list[TemplateItem]:
    return [
        model(
            phase=phase,
            section=section,
            position=position,
            text=item.text,
            command=item.command[:500],
            details="\n".join(item.details),
            required=item.required,
            severity=Severity.ADVISORY if item.advisory else Severity.BLOCKING,
            probe_kind=PROBE_KIND_BY_TEXT.get(item.text.lower(), ""),
        )
        for position, item in enumerate(items)
    ]


def template_export(template: ChecklistTemplate) -> str:
    """Print a stored template as Markdown that template_import() reads back."""
    document = markdown.Document(
        title=template.title, preamble=_lines(template.preamble)
    )
    sections_by_phase: dict[int, list[TemplateSection]] = {}
    for section in TemplateSection.objects.filter(phase__template=template):
        sections_by_phase.setdefault(section.phase_id, []).append(section)
    items_by_owner: dict[tuple, list[TemplateItem]] = {}
    for item in TemplateItem.objects.filter(phase__template=template):
        items_by_owner.setdefault((item.phase_id, item.section_id), []).append(item)
    roles = list(template.signoff_roles.all())
    for phase in template.phases.all():
        part = markdown.Part(
            title=phase.title,
            kind=phase.kind,
            body=_lines(phase.body),
            trailer=_lines(phase.trailer),
        )
        if phase.kind == "signoff":
            part.items = [markdown.Item(text=role.label, line=0) for role in roles]
        else:
            part.items = _document_items(items_by_owner.get((phase.pk, None), []))
        for section in sections_by_phase.get(phase.pk, []):
            part.sections.append(
                markdown.Section(
                    title=section.title,
                    number=section.number,
                    body=_lines(section.body),
                    trailer=_lines(section.trailer),
                    items=_document_items(
                        items_by_owner.get((phase.pk, section.pk), [])
                    ),
                )
            )
        document.parts.append(part)
    return markdown.render(document)


def _document_items(items: list[TemplateItem]) -> list[markdown.Item]:
    return [
        markdown.Item(
            text=item.text,
            command=item.command,
            details=_lines(item.details),
            line=0,
            advisory=item.severity == Severity.ADVISORY,
        )
        for item in items
    ]


def template_latest(name: str = DEFAULT_NAME) -> ChecklistTemplate | None:
    """The latest version of `name` that every team shares."""
    return selectors.template_default_for_team(None, name)


def template_ensure_default() -> ChecklistTemplate:
    """Load the seed checklist as the default template unless it is there."""
    existing = template_latest(DEFAULT_NAME)
    if existing:
        return existing
    return template_import(source=SEED.read_text(), name=DEFAULT_NAME, by=None)


@dataclass(frozen=True)
class TemplateChange:
    """What template_change() did: the version that holds the change (the
    team's copy when `copied_from` is set) and the changed parts."""

    template: ChecklistTemplate
    copied_from: ChecklistTemplate | None = None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


@transaction.atomic
def template_change(
    *,
    template: ChecklistTemplate,
    by: User | None,
    team: Team | None = None,
    advisory_items: set[str] | None = None,
    runbook_links: dict[str, dict] | None = None,
    options: dict[str, bool] | None = None,
    actor_label: str = "",
) -> TemplateChange:
    """Change a template's severities, runbook links or options.

    `advisory_items` are the texts of the items that become advisory (all others
    become blocking); `runbook_links` maps each entry's problem to its
    `probe_kinds` and `sections` (an entry left out loses its links). None leaves
    that part alone. The owner changes the version in place. Anyone else changes
    `team`'s own version of it: the copy the team made earlier, or a new copy,
    so the original and every release of other teams stay as they were. A change
    that changes nothing writes nothing.

    Refuses people who may not manage `team`'s templates, unknown items, runbook
    entries and options, and a non-owner who names no team.
    """
    target = template
    if not selectors.template_owned_by(template, by):
        if team is None:
            raise ValidationError({"team": SHARED_REFUSED})
        permissions.require(by, "manage_templates", team)
        target = (
            ChecklistTemplate.objects.filter(team=team, based_on=template)
            .order_by("-version")
            .first()
        )
    items = list(TemplateItem.objects.filter(phase__template=target or template))
    entries = list(RunbookEntry.objects.filter(template=target or template))
    before, after = _template_diff(
        target or template, items, entries, advisory_items, runbook_links, options
    )
    if not after:
        return TemplateChange(template=target or template)
    copied_from = None
    if target is None:
        target, copied_from = _template_copy(template, team, by), template
        items = list(TemplateItem.objects.filter(phase__template=target))
        entries = list(RunbookEntry.objects.filter(template=target))
    if "advisory_items" in after:
        advisory = set(after["advisory_items"])
        for severity, chosen in (
            (Severity.ADVISORY, [i.pk for i in items if i.text in advisory]),
            (Severity.BLOCKING, [i.pk for i in items if i.text not in advisory]),
        ):
            TemplateItem.objects.filter(pk__in=chosen).exclude(
                severity=severity
            ).update(severity=severity)
    for entry in entries:
        links = after.get("runbook", {}).get(entry.problem)
        if links is not None:
            entry.probe_kinds, entry.sections = links["probe_kinds"], links["sections"]
            entry.save(update_fields=["probe_kinds", "sections"])
    changed = [option for option in OPTIONS if option in after]
    if changed:
        for option in changed:
            setattr(target, option, after[option])
        target.save(update_fields=changed)
    copy = {}
    if copied_from:
        copy = {
            "copied_from": str(copied_from),
            "name": target.name,
            "version": target.version,
        }
    audit.record(
        actor=by,
        actor_label=actor_label,
        action="template.changed",
        target=target,
        team_id=target.team_id,
        before=before,
        after={"template": str(target), **copy, **after},
    )
    return TemplateChange(target, copied_from, before, after)


def _template_diff(
    template: ChecklistTemplate,
    items: list[TemplateItem],
    entries: list[RunbookEntry],
    advisory_items: set[str] | None,
    runbook_links: dict[str, dict] | None,
    options: dict[str, bool] | None,
) -> tuple[dict, dict]:
    """The changed parts before and after, or ({}, {}) when nothing changes;
    ValidationError for names the template does not have."""
    before: dict = {}
    after: dict = {}
    if advisory_items is not None:
        unknown = set(advisory_items) - {item.text for item in items}
        if unknown:
            raise ValidationError(
                {"advisory_items": f"Not items of {template}: {sorted(unknown)}."}
            )
        current = sorted({i.text for i in items if i.severity == Severity.ADVISORY})
        if current != sorted(advisory_items):
            before["advisory_items"] = current
            after["advisory_items"] = sorted(advisory_items)
    if runbook_links is not None:
        unknown = set(runbook_links) - {entry.problem for entry in entries}
        if unknown:
            raise ValidationError(
                {"runbook": f"No runbook entries {sorted(unknown)} in {template}."}
            )
        for entry in entries:
            wanted = runbook_links.get(entry.problem) or {}
            links = {
                "probe_kinds": list(wanted.get("probe_kinds") or []),
                "sections": list(wanted.get("sections") or []),
            }
            current = {"probe_kinds": entry.probe_kinds, "sections": entry.sections}
            if links != current:
                before.setdefault("runbook", {})[entry.problem] = current
                after.setdefault("runbook", {})[entry.problem] = links
    for option, value in (options or {}).items():
        if option not in OPTIONS:
            raise ValidationError({option: "Not an option of templates."})
        if bool(value) != getattr(template, option):
            before[option], after[option] = getattr(template, option), bool(value)
    return before, after


def _template_copy(
    template: ChecklistTemplate, team: Team, by: User | None
) -> ChecklistTemplate:
    """A new version of the template's name for `team`, identical to it."""
    copy = ChecklistTemplate.objects.create(
        name=template.name,
        version=_next_version(template.name),
        title=template.title,
        preamble=template.preamble,
        team=team,
        based_on=template,
        allow_shared_signoffs=template.allow_shared_signoffs,
        allow_creator_approval=template.allow_creator_approval,
        success_criteria=template.success_criteria,
        source=template.source,
        created_by=by,
    )
    phases = {}
    for phase in template.phases.all():
        old = phase.pk
        phase.pk, phase.template = None, copy
        phases[old] = phase
    TemplatePhase.objects.bulk_create(phases.values())
    sections = {}
    for section in TemplateSection.objects.filter(phase__template=template):
        old = section.pk
        section.pk, section.phase = None, phases[section.phase_id]
        sections[old] = section
    TemplateSection.objects.bulk_create(sections.values())
    items = list(TemplateItem.objects.filter(phase__template=template))
    for item in items:
        item.pk, item.phase = None, phases[item.phase_id]
        item.section = sections[item.section_id] if item.section_id else None
    TemplateItem.objects.bulk_create(items)
    for model in (SignOffRole, RunbookEntry):
        rows = list(model.objects.filter(template=template))
        for row in rows:
            row.pk, row.template = None, copy
        model.objects.bulk_create(rows)
    return copy
