"""Importing and exporting checklist templates. Every import is audited."""

from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.accounts.models import Team
from apps.audit import services as audit
from apps.checklists import markdown
from apps.checklists.models import (
    ChecklistTemplate,
    RunbookEntry,
    SignOffRole,
    TemplateItem,
    TemplatePhase,
    TemplateSection,
)

DEFAULT_NAME = "default"
SEED = Path(__file__).resolve().parent / "seed" / "production-deployment-checklist.md"

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


@transaction.atomic
def template_import(
    *, source: str, name: str = "", by: User | None, team: Team | None = None
) -> ChecklistTemplate:
    """Parse Markdown into a new version of the named template, all or nothing.

    Raises ValidationError naming the bad line; nothing is written then.
    """
    try:
        document = markdown.parse(source)
    except markdown.MarkdownError as error:
        raise ValidationError({"source": str(error)}) from None
    name = (name or document.title).strip()[:120]
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    latest = ChecklistTemplate.objects.select_for_update().filter(name=name)
    version = (latest.aggregate(v=Max("version"))["v"] or 0) + 1
    template = ChecklistTemplate.objects.create(
        name=name,
        version=version,
        title=document.title[:200],
        preamble="\n".join(document.preamble),
        team=team,
        source=source,
        created_by=by,
    )
    items: list[TemplateItem] = []
    roles: list[SignOffRole] = []
    runbook: list[RunbookEntry] = []
    for part_position, part in enumerate(document.parts):
        phase = TemplatePhase.objects.create(
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
                SignOffRole(
                    template=template,
                    position=position,
                    key=markdown.role_key(item.text)[:60],
                    name=markdown.role_name(item.text)[:120],
                    label=item.text,
                )
                for position, item in enumerate(part.items)
            ]
        else:
            items += _items(phase, None, part.items)
        for section_position, section in enumerate(part.sections):
            steps = []
            if part.kind in ("deployment", "rollback"):
                steps = [
                    {"title": step.title, "command": step.command}
                    for step in markdown.steps_from_body(section.body, section.title)
                ]
            row = TemplateSection.objects.create(
                phase=phase,
                position=section_position,
                number=section.number,
                title=section.title[:200],
                body="\n".join(section.body),
                trailer="\n".join(section.trailer),
                steps=steps,
            )
            items += _items(phase, row, section.items)
            if part.kind == "runbook":
                entry = markdown.runbook_entry(section)
                runbook.append(
                    RunbookEntry(
                        template=template,
                        position=len(runbook),
                        problem=entry.problem[:200],
                        commands=entry.commands,
                        causes=entry.causes,
                    )
                )
    TemplateItem.objects.bulk_create(items)
    SignOffRole.objects.bulk_create(roles)
    RunbookEntry.objects.bulk_create(runbook)
    template.save(update_fields=["success_criteria"])
    audit.record(
        actor=by,
        action="template.imported",
        target=template,
        team_id=team.pk if team else None,
        after={
            "name": name,
            "version": version,
            "items": len(items),
            "signoff_roles": len(roles),
        },
    )
    return template


def _items(
    phase: TemplatePhase, section: TemplateSection | None, items: list[markdown.Item]
) -> list[TemplateItem]:
    return [
        TemplateItem(
            phase=phase,
            section=section,
            position=position,
            text=item.text,
            command=item.command[:500],
            details="\n".join(item.details),
            required=item.required,
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
            text=item.text, command=item.command, details=_lines(item.details), line=0
        )
        for item in items
    ]


def template_latest(name: str = DEFAULT_NAME) -> ChecklistTemplate | None:
    return ChecklistTemplate.objects.filter(name=name).order_by("-version").first()


def template_ensure_default() -> ChecklistTemplate:
    """Load the seed checklist as the default template unless it is there."""
    existing = template_latest(DEFAULT_NAME)
    if existing:
        return existing
    return template_import(source=SEED.read_text(), name=DEFAULT_NAME, by=None)
