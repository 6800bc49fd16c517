"""Creating releases, moving them through their lifecycle, and ticking items.

Every function here writes an audit event in the same transaction as its change.
"""

import re
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment, Service
from apps.checklists.models import ChecklistTemplate, TemplateItem, TemplateSection
from apps.core import moments
from apps.notifications import services as notifications
from apps.releases import lifecycle
from apps.releases.models import Release, ReleaseItem
from apps.releases.readiness import compute_readiness

VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}$")
SNAPSHOT_PHASES = ("pre_deployment", "deployment", "post_deployment", "rollback")
MAX_NOTE = 5000
# Webhook events announced after a transition to these statuses.
TRANSITION_EVENTS = {
    Release.Status.READY: "release.ready",
    Release.Status.DEPLOYED: "release.deployed",
    Release.Status.ROLLED_BACK: "release.rolled_back",
}


def bump_revision(release: Release) -> None:
    Release.objects.filter(pk=release.pk).update(revision=F("revision") + 1)


@transaction.atomic
def release_create(
    *,
    service: Service,
    environment: Environment,
    template: ChecklistTemplate,
    version: str,
    by: User,
    planned_for: datetime | None = None,
    notes: str = "",
    start: bool = True,
) -> Release:
    """Create a release with a snapshot of the template's checklist and roles.

    Maintenance items are not copied: they recur per environment, not per release.
    """
    permissions.require(by, "create_release", service.team)
    version = (version or "").strip()
    errors = {}
    if not VERSION.match(version):
        errors["version"] = (
            "Use 1 to 64 letters, digits, dots, dashes, plus or underscores, "
            "starting with a letter or digit (e.g. 2.4.1 or 2024-06-rc1)."
        )
    if environment.service_id != service.pk:
        errors["environment"] = (
            f"{environment.name} is not an environment of {service}."
        )
    if template.team_id not in (None, service.team_id):
        errors["template"] = "That template belongs to another team."
    if planned_for is not None:
        try:
            planned_for = moments.moment_check(planned_for, field="planned_for")
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if (
        Release.objects.filter(environment=environment, version=version)
        .exclude(status=Release.Status.CANCELLED)
        .exists()
    ):
        raise ValidationError(
            {"version": f"{version} already has a release to {environment.name}."}
        )
    roles = [
        {"key": role.key, "name": role.name} for role in template.signoff_roles.all()
    ]
    try:
        with transaction.atomic():
            release = Release.objects.create(
                team=service.team,
                service=service,
                environment=environment,
                template=template,
                version=version,
                planned_for=planned_for,
                notes=notes.strip()[:MAX_NOTE],
                signoff_roles=roles,
                allow_shared_signoffs=template.allow_shared_signoffs,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError(
            {"version": f"{version} already has a release to {environment.name}."}
        ) from None
    items = _snapshot(release, template)
    ReleaseItem.objects.bulk_create(items)
    audit.record(
        actor=by,
        action="release.created",
        target=release,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "service": service.name,
            "environment": environment.name,
            "version": version,
            "template": str(template),
            "items": len(items),
            "signoff_roles": [role["key"] for role in roles],
        },
    )
    if start:
        release = release_transition(
            release=release, target=Release.Status.IN_PROGRESS, by=by
        )
    return release


def _snapshot(release: Release, template: ChecklistTemplate) -> list[ReleaseItem]:
    items: list[ReleaseItem] = []
    template_items = (
        TemplateItem.objects.filter(phase__template=template)
        .select_related("phase", "section")
        .order_by("phase__position", "section__position", "position")
    )
    sections = (
        TemplateSection.objects.filter(
            phase__template=template, phase__kind__in=("deployment", "rollback")
        )
        .select_related("phase")
        .order_by("phase__position", "position")
    )
    steps_by_phase: dict[int, list[TemplateSection]] = {}
    for section in sections:
        steps_by_phase.setdefault(section.phase.position, []).append(section)

    def add(**fields) -> None:
        items.append(ReleaseItem(release=release, position=len(items), **fields))

    phase_positions = sorted(
        {
            item.phase.position
            for item in template_items
            if item.phase.kind in SNAPSHOT_PHASES
        }
        | set(steps_by_phase)
    )
    for position in phase_positions:
        for section in steps_by_phase.get(position, []):
            for step in section.steps:
                add(
                    phase=section.phase.kind,
                    phase_title=section.phase.title,
                    section_title=section.title,
                    section_number=section.number,
                    kind=ReleaseItem.Kind.STEP,
                    text=step["title"][:500],
                    command=step["command"],
                    required=False,
                )
        for item in template_items:
            if (
                item.phase.position != position
                or item.phase.kind not in SNAPSHOT_PHASES
            ):
                continue
            add(
                template_item=item,
                phase=item.phase.kind,
                phase_title=item.phase.title,
                section_title=item.section.title if item.section else "",
                section_number=item.section.number if item.section else "",
                text=item.text,
                command=item.command,
                details=item.details,
                required=item.required,
                probe_kind=item.probe_kind,
                severity=item.severity,
            )
    return items


@transaction.atomic
def release_update(
    *,
    release: Release,
    by: User,
    planned_for: datetime | None | object = ...,
    notes: str | object = ...,
) -> Release:
    """Change a release's planned date or notes (leads, while it is still open).

    Service, environment, version and checklist are fixed at creation; status
    changes go through release_transition().
    """
    permissions.require(by, "create_release", release.team)
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status not in lifecycle.OPEN_STATUSES:
        raise ValidationError(
            f"A {release.get_status_display().lower()} release can no longer change."
        )
    before = {"planned_for": release.planned_for, "notes": release.notes}
    if planned_for is not ...:
        release.planned_for = planned_for and moments.moment_check(
            planned_for, field="planned_for"
        )
    if notes is not ...:
        if len(notes) > MAX_NOTE:
            raise ValidationError({"notes": f"Keep it under {MAX_NOTE} characters."})
        release.notes = notes.strip()
    after = {"planned_for": release.planned_for, "notes": release.notes}
    changed_before, changed_after = audit.diff(before, after)
    if not changed_after:
        return release
    release.revision += 1
    release.save(update_fields=["planned_for", "notes", "revision", "updated_at"])
    audit.record(
        actor=by,
        action="release.updated",
        target=release,
        team_id=release.team_id,
        release_id=release.pk,
        before=changed_before,
        after=changed_after,
    )
    return release


@transaction.atomic
def release_transition(
    *,
    release: Release,
    target: str,
    by: User,
    reason: str = "",
    override: bool = False,
    notes: str = "",
) -> Release:
    """Move a release to another status; the one place the lifecycle is enforced.

    `ready` needs a ready checklist; `deployed` needs `ready` first, unless a lead
    overrides with a written reason. Rollback and cancel need a reason too.
    """
    permissions.require(by, "transition", release.team)
    release = Release.objects.select_for_update().get(pk=release.pk)
    current = release.status
    reason = (reason or "").strip()[:MAX_NOTE]
    if target not in Release.Status.values:
        raise ValidationError({"status": f"Unknown status {target!r}."})
    forced = False
    if target not in lifecycle.allowed(current):
        if not (override and lifecycle.needs_override(current, target)):
            raise ValidationError(
                {
                    "status": f"A {release.get_status_display().lower()} release "
                    f"cannot become {Release.Status(target).label.lower()}."
                }
            )
        forced = True
    if target == Release.Status.READY and not override:
        readiness = compute_readiness(release)
        if not readiness.ready:
            raise ValidationError(
                {
                    "status": "Not ready: "
                    + "; ".join(b.text for b in readiness.blockers[:5])
                    + (" …" if len(readiness.blockers) > 5 else "")
                }
            )
    elif target == Release.Status.READY:
        forced = True
    if forced:
        permissions.require(by, "override", release.team)
        if not reason:
            raise ValidationError({"reason": "An override needs a written reason."})
    if target in lifecycle.REASON_REQUIRED and not reason:
        raise ValidationError({"reason": "Say why."})
    before = {"status": current}
    after: dict = {"status": target}
    release.status = target
    release.status_reason = reason
    fields = ["status", "status_reason", "updated_at", "revision"]
    if target == Release.Status.DEPLOYED:
        release.deployed_at, release.deployed_by = timezone.now(), by
        fields += ["deployed_at", "deployed_by"]
        after["deployed_by"] = by.get_username()
        if notes.strip():
            release.notes = notes.strip()[:MAX_NOTE]
            fields.append("notes")
            after["notes"] = release.notes
    if reason:
        after["reason"] = reason
    if forced:
        after["override"] = True
    release.revision += 1
    release.save(update_fields=fields)
    audit.record(
        actor=by,
        action="release.transitioned",
        target=release,
        team_id=release.team_id,
        release_id=release.pk,
        before=before,
        after=after,
    )
    event = TRANSITION_EVENTS.get(target)
    if event:
        notifications.emit_for_release(event, release, reason=reason, by=by.username)
    return release


@transaction.atomic
def release_item_set_state(
    *, item: ReleaseItem, state: str, note: str = "", by: User
) -> ReleaseItem:
    """Tick, untick, set n/a or block an item; n/a and blocked need a note."""
    permissions.require(by, "tick", item.release.team)
    release = Release.objects.select_for_update().get(pk=item.release_id)
    if state not in ReleaseItem.State.values:
        raise ValidationError({"state": f"Unknown state {state!r}."})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE} characters."})
    if state in ReleaseItem.NOTE_REQUIRED and not note:
        raise ValidationError(
            {"note": "Say why this item is blocked or not applicable."}
        )
    if release.status not in lifecycle.TICKABLE_STATUSES:
        raise ValidationError(
            f"A {release.get_status_display().lower()} release can no longer change."
        )
    if release.status == Release.Status.DEPLOYED and item.gates_readiness:
        raise ValidationError(
            "Pre-deployment items are final once the release is deployed."
        )
    item = ReleaseItem.objects.select_for_update().get(pk=item.pk)
    before = {"state": item.state, "note": item.note}
    item.state, item.note = state, note
    item.changed_by, item.changed_at = by, timezone.now()
    item.save(update_fields=["state", "note", "changed_by", "changed_at"])
    bump_revision(release)
    before, after = audit.diff(before, {"state": state, "note": note})
    audit.record(
        actor=by,
        action="release_item.state_changed",
        target=item,
        team_id=release.team_id,
        release_id=release.pk,
        before={"text": item.text, **before},
        after=after,
    )
    if state == ReleaseItem.State.BLOCKED:
        notifications.emit_for_release(
            "release.blocked", release, item=item.pk, text=item.text
        )
    return item
