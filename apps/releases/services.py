"""Creating releases, moving them through their lifecycle, and ticking items.

Every function here writes an audit event in the same transaction as its change.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment, Service
from apps.checklists.models import ChecklistTemplate, TemplateItem, TemplateSection
from apps.core import events, moments, rows, verdict
from apps.releases import delivery, lifecycle
from apps.releases.models import Release, ReleaseCommit, ReleaseItem
from apps.releases.writes import ItemLock, ReleaseChange, release_change

VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}$")
SNAPSHOT_PHASES = ("pre_deployment", "deployment", "post_deployment", "rollback")
MAX_NOTE = 5000
# Webhook events announced after a transition to these statuses.
TRANSITION_EVENTS = {
    Release.Status.READY: "release.ready",
    Release.Status.DEPLOYED: "release.deployed",
    Release.Status.ROLLED_BACK: "release.rolled_back",
}


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
    kind: str = Release.Kind.PLANNED,
    commits: list[dict] | None = None,
    remediates: Release | None = None,
) -> Release:
    """Create a release with a snapshot of the template's checklist and roles.

    Maintenance items are not copied: they recur per environment, not per release.
    `kind`, the `commits` it carries ({"sha", "committed_at"}) and the release it
    `remediates` are its delivery facts (release_delivery_record() changes them).
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
    try:
        commits = delivery.check_commits(commits or [])
    except ValidationError as error:
        errors.update(error.message_dict)
    if kind not in Release.Kind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    elif kind == Release.Kind.EMERGENCY:
        errors["kind"] = (
            "Emergency is set when an emergency exception lets the release "
            "through a freeze; it cannot be asked for."
        )
    if remediates is not None and remediates.service_id != service.pk:
        errors["remediates"] = f"Release {remediates.pk} is not a release of {service}."
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
                kind=kind,
                remediates=remediates,
            )
    except IntegrityError:
        raise ValidationError(
            {"version": f"{version} already has a release to {environment.name}."}
        ) from None
    items = _snapshot(release, template)
    ReleaseItem.objects.bulk_create(items)
    ReleaseCommit.objects.bulk_create(
        ReleaseCommit(release=release, **commit) for commit in commits
    )
    audit.record(
        actor=by,
        action="release.created",
        target=release,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "team": service.team.name,
            "service": service.name,
            "environment": environment.name,
            "version": version,
            "template": str(template),
            "status": release.status,
            "planned_for": release.planned_for,
            "notes": release.notes,
            "signoff_roles": roles,
            "allow_shared_signoffs": release.allow_shared_signoffs,
            "items": len(items),
            "kind": kind,
            "remediates": remediates.pk if remediates else None,
            "commits": delivery.commit_facts(commits),
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
    with release_change(release.pk) as change:
        release = change.release
        if release.status not in lifecycle.OPEN_STATUSES:
            raise ValidationError(
                f"A {release.get_status_display().lower()} release can no longer "
                "change."
            )
        before = {"planned_for": release.planned_for, "notes": release.notes}
        if planned_for is not ...:
            release.planned_for = planned_for and moments.moment_check(
                planned_for, field="planned_for"
            )
        if notes is not ...:
            if len(notes) > MAX_NOTE:
                raise ValidationError(
                    {"notes": f"Keep it under {MAX_NOTE} characters."}
                )
            release.notes = notes.strip()
        after = {"planned_for": release.planned_for, "notes": release.notes}
        changed_before, changed_after = audit.diff(before, after)
        if not changed_after:
            change.unchanged()
            return release
        change.save("planned_for", "notes")
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
def release_gate_request_set(
    *,
    release: Release,
    gate_request: dict,
    actor_label: str,
    action: str = "release.gate_requested",
) -> Release:
    """Record what a deploy platform asked when it held a deploy on this release,
    and what it reported after (`action` "release.deployment_reported").

    Written by apps.integrations for a platform's webhook (no person acts, so
    `actor_label` names the platform and delivery). The same request again
    changes nothing; a new one (another run) replaces it, both audited.
    """
    with release_change(release.pk) as change:
        release = change.release
        current = release.gate_request
        if current == gate_request:
            change.unchanged()
            return release
        release.gate_request = gate_request
        change.save("gate_request")
        audit.record(
            actor=None,
            actor_label=actor_label,
            action=action,
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            before={"gate_request": current or None},
            after={"gate_request": gate_request},
        )
    return release


@transaction.atomic
def release_commits_fill(
    *, release: Release, commits: list[dict], actor_label: str
) -> Release:
    """Fill the commits a release carries ({"sha", "committed_at"}) from a deploy
    platform (apps.integrations; no person acts, so `actor_label` names the
    platform). A release that carries commits already keeps them: they were
    given at creation or typed by a lead, and a lead replaces them with
    release_delivery_record().
    """
    commits = delivery.check_commits(commits)
    with release_change(release.pk) as change:
        release = change.release
        if not commits or release.commits.exists():
            change.unchanged()
            return release
        ReleaseCommit.objects.bulk_create(
            ReleaseCommit(release=release, **commit) for commit in commits
        )
        change.save()
        audit.record(
            actor=None,
            actor_label=actor_label,
            action="release.delivery_recorded",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            before={"commits": []},
            after={"commits": delivery.commit_facts(commits)},
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
    rolled_back_to: Release | None = None,
) -> Release:
    """Move a release to another status; the one place the lifecycle is enforced.

    Entering `ready` or `deployed` judges readiness again, under the release's
    row lock: every writer that changes what readiness reads takes that lock
    too, so nothing can change between the verdict and the write. A release that
    is not ready is refused with its blockers, unless a lead overrides with a
    written reason; the override is kept on the release with the blockers it
    overrode. `deployed` also needs `ready` first, unless a lead overrides.
    Rollback and cancel need a reason. `notes` are the deployment notes.

    Deploying records the deploy as succeeded, finished now (the delivery
    record may correct it), the waivers the verdict let through, and the kind
    `emergency` when an emergency exception let it through a freeze. A
    rollback may name the earlier release of the environment it restored.
    """
    permissions.require(by, "transition", release.team)
    with release_change(release.pk) as change:
        release = change.release
        current = release.status
        reason = (reason or "").strip()[:MAX_NOTE]
        if target not in Release.Status.values:
            raise ValidationError({"status": f"Unknown status {target!r}."})
        skips = target not in lifecycle.allowed(current)
        if skips and not (override and lifecycle.needs_override(current, target)):
            raise ValidationError(
                {
                    "status": f"A {release.get_status_display().lower()} release "
                    f"cannot become {Release.Status(target).label.lower()}."
                }
            )
        blockers: list[dict] = []
        if target in lifecycle.VERDICT_REQUIRED:
            readiness = verdict.readiness(release)
            blockers = [blocker.as_dict() for blocker in readiness.blockers]
            if blockers and not override:
                raise ValidationError({"status": _not_ready(readiness.blockers)})
        forced = skips or bool(blockers)
        if forced:
            permissions.require(by, "override", release.team)
            if not reason:
                raise ValidationError({"reason": "An override needs a written reason."})
        if target in lifecycle.REASON_REQUIRED and not reason:
            raise ValidationError({"reason": "Say why."})
        if rolled_back_to is not None:
            delivery.check_rolled_back_to(release, target, rolled_back_to)
        now = timezone.now()
        before = _transition_facts(release)
        release.status, release.status_reason = target, reason
        if target == Release.Status.READY:
            release.ready_at = now
        elif target == Release.Status.DEPLOYED:
            release.deployed_at, release.deployed_by = now, by
            release.deployment_notes = (notes or "").strip()[:MAX_NOTE]
            release.deploy_result = Release.DeployResult.SUCCEEDED
            release.deploy_finished_at = now
            release.deploy_waivers = [w.as_dict() for w in readiness.waived]
            if readiness.freeze and readiness.freeze["exception"]:
                release.kind = Release.Kind.EMERGENCY
        elif target == Release.Status.ROLLED_BACK:
            release.rolled_back_at, release.rolled_back_by = now, by
            release.rolled_back_to = rolled_back_to
        elif target == Release.Status.CANCELLED:
            release.cancelled_at, release.cancelled_by = now, by
        if forced:
            release.override_status, release.override_by = target, by
            release.override_at, release.override_reason = now, reason
            release.override_blockers = blockers
        elif target in lifecycle.VERDICT_REQUIRED or target in lifecycle.REOPENED:
            # Entered on a ready verdict, or open again: no override stands.
            release.override_status, release.override_by = "", None
            release.override_at, release.override_reason = None, ""
            release.override_blockers = []
        after = _transition_facts(release)
        change.save(*TRANSITION_FIELDS)
        before, after = audit.diff(before, after)
        before["status"], after["status"] = current, target
        audit.record(
            actor=by,
            action="release.transitioned",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            before=before,
            after=after,
        )
        _announce(release, target, reason=reason, by=by)
        return release


# The fields release_transition() may change, besides the bookkeeping ones.
TRANSITION_FIELDS = (
    "status",
    "ready_at",
    "kind",
    "deploy_result",
    "deploy_finished_at",
    "deploy_waivers",
    "rolled_back_to",
    "status_reason",
    "deployed_at",
    "deployed_by",
    "deployment_notes",
    "rolled_back_at",
    "rolled_back_by",
    "cancelled_at",
    "cancelled_by",
    "override_status",
    "override_by",
    "override_at",
    "override_reason",
    "override_blockers",
)


NOT_GIVEN = object()


@transaction.atomic
def release_delivery_record(
    *,
    release: Release,
    by: User,
    kind: str | object = NOT_GIVEN,
    remediates: Release | None | object = NOT_GIVEN,
    deploy_result: str | object = NOT_GIVEN,
    deploy_finished_at: datetime | None | object = NOT_GIVEN,
    commits: list[dict] | object = NOT_GIVEN,
    rolled_back_to: Release | None | object = NOT_GIVEN,
) -> Release:
    """Record a release's delivery facts (leads): its kind, the release it
    remediates, how its deploy ended and when, the commits it carries (the list
    replaces the one before) and, once rolled back, the release it restored.

    Refuses a deploy result before the release was deployed, a finish before the
    deploy started, a release of another service to remediate (or itself), and
    an emergency kind set by hand: only an emergency exception sets that.
    """
    permissions.require(by, "transition", release.team)
    with release_change(release.pk) as change:
        release = change.release
        before = _delivery_facts(release)
        errors: dict[str, str] = {}
        if kind is not NOT_GIVEN and kind != release.kind:
            if kind not in Release.Kind.values:
                errors["kind"] = f"Unknown kind {kind!r}."
            elif Release.Kind.EMERGENCY in (kind, release.kind):
                errors["kind"] = (
                    "Emergency is set when an emergency exception lets the "
                    "release through a freeze; it cannot be set or unset by hand."
                )
            else:
                release.kind = kind
        if remediates is not NOT_GIVEN:
            if remediates is not None and (
                remediates.service_id != release.service_id
                or remediates.pk == release.pk
            ):
                errors["remediates"] = (
                    f"Name another release of {release.service.name}."
                )
            release.remediates = remediates
        deploy_given = (deploy_result, deploy_finished_at) != (NOT_GIVEN, NOT_GIVEN)
        if deploy_given and release.deployed_at is None:
            errors["deploy_result"] = "The release has not been deployed."
        if deploy_result is not NOT_GIVEN:
            if deploy_result not in Release.DeployResult.values:
                errors["deploy_result"] = f"Unknown deploy result {deploy_result!r}."
            else:
                release.deploy_result = deploy_result
        if deploy_finished_at is not NOT_GIVEN and not errors:
            if deploy_finished_at is not None:
                deploy_finished_at = moments.moment_check(
                    deploy_finished_at, field="deploy_finished_at"
                )
                if deploy_finished_at < release.deployed_at:
                    errors["deploy_finished_at"] = (
                        "The deploy cannot finish before it started "
                        f"({release.deployed_at:%Y-%m-%d %H:%M} UTC)."
                    )
            release.deploy_finished_at = deploy_finished_at
        if rolled_back_to is not NOT_GIVEN:
            if release.status != Release.Status.ROLLED_BACK:
                errors["rolled_back_to"] = "The release has not been rolled back."
            elif rolled_back_to is not None:
                try:
                    delivery.check_rolled_back_to(
                        release, Release.Status.ROLLED_BACK, rolled_back_to
                    )
                except ValidationError as error:
                    errors.update(error.message_dict)
            release.rolled_back_to = rolled_back_to
        if commits is not NOT_GIVEN:
            try:
                commits = delivery.check_commits(commits)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        after = _delivery_facts(release)
        if commits is not NOT_GIVEN:
            before["commits"] = delivery.commit_facts(
                list(release.commits.values("sha", "committed_at"))
            )
            after["commits"] = delivery.commit_facts(commits)
        before, after = audit.diff(before, after)
        if not after:
            change.unchanged()
            return release
        if commits is not NOT_GIVEN and "commits" in after:
            release.commits.all().delete()
            ReleaseCommit.objects.bulk_create(
                ReleaseCommit(release=release, **commit) for commit in commits
            )
        change.save(*DELIVERY_FIELDS)
        audit.record(
            actor=by,
            action="release.delivery_recorded",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            before=before,
            after=after,
        )
    return release


DELIVERY_FIELDS = (
    "kind",
    "remediates",
    "deploy_result",
    "deploy_finished_at",
    "rolled_back_to",
)


def _delivery_facts(release: Release) -> dict:
    return {
        "kind": release.kind,
        "remediates": release.remediates_id,
        "deploy_result": release.deploy_result,
        "deploy_finished_at": release.deploy_finished_at,
        "rolled_back_to": release.rolled_back_to_id,
    }


def _name(user: User | None) -> str | None:
    return user.get_username() if user else None


def _transition_facts(release: Release) -> dict:
    """What a transition may change, as its audit event shows it."""
    return {
        "status": release.status,
        "reason": release.status_reason,
        "ready_at": release.ready_at,
        "deployed_at": release.deployed_at,
        "deployed_by": _name(release.deployed_by),
        "deployment_notes": release.deployment_notes,
        "rolled_back_at": release.rolled_back_at,
        "rolled_back_by": _name(release.rolled_back_by),
        "rolled_back_to": release.rolled_back_to_id,
        "kind": release.kind,
        "deploy_result": release.deploy_result,
        "deploy_finished_at": release.deploy_finished_at,
        "deploy_waivers": release.deploy_waivers,
        "cancelled_at": release.cancelled_at,
        "cancelled_by": _name(release.cancelled_by),
        "override": release.override,
    }


def _not_ready(blockers: list) -> str:
    return (
        "Not ready: "
        + "; ".join(b.text for b in blockers[:5])
        + (f" … and {len(blockers) - 5} more" if len(blockers) > 5 else "")
    )


def _announce(release: Release, target: str, *, reason: str, by: User) -> None:
    """Tell webhooks and email: `release.ready` only on a ready verdict, and
    `release.overridden` whenever an override let the release in."""
    override = release.override if release.override_status == target else None
    event = TRANSITION_EVENTS.get(target)
    if event == "release.ready" and override:
        event = None
    if event:
        events.publish(
            event,
            team_id=release.team_id,
            release=release,
            reason=reason,
            by=by.username,
            override=override,
        )
    if override:
        events.publish(
            "release.overridden", team_id=release.team_id, release=release, **override
        )


@dataclass(frozen=True)
class Proof:
    """What a probe run found about an item, when evidence sets its state."""

    run_id: int
    result_id: int
    status: str  # the result's: pass, warn, fail or error


@transaction.atomic
def release_item_set_state(
    *,
    item: ReleaseItem,
    state: str,
    note: str = "",
    by: User | None = None,
    proof: Proof | None = None,
    then: Callable[[ReleaseItem, ReleaseChange], None] | None = None,
    forget: bool = True,
) -> ReleaseItem:
    """Tick, untick, set n/a or block an item; n/a and blocked need a note.

    The one writer of item state, for a person (`by`) and for probe evidence
    (`proof`) alike: the same guard (lifecycle.item_refusal), the same audit
    event (the actor is the person, or "probe run #N") and the same
    release.blocked announcement. A person's tick of an item that a probe of the
    environment verifies is recorded as by hand; over a probe warning, the
    warning it accepted is recorded too.

    `then(item, change)` runs in the write's own transaction once the change is
    counted (unless the call is nested in a change of the same release, which
    counts it later), still holding the release's lock (the tick page carries
    its cached verdict inputs forward there): a caller that needs that moment
    opens no transaction of its own, whose nesting would cost this one a
    savepoint's two round trips. `forget=False`: `then` drops the revision's
    mirror (releases.writes.release_change).
    """
    if (by is None) == (proof is None):
        raise ValueError("Set an item's state for a person or for a proof, not both.")
    if by is not None:
        permissions.require(by, "tick", item.release.team)
    ticked = by is not None and state == ReleaseItem.State.DONE
    # The item is locked with the release, in its locking read; with a person's
    # tick, that read also asks whether a probe of the environment verifies it.
    lock = ItemLock(item.pk, _verified_sql() if ticked else "")
    with release_change(item.release_id, item=lock, forget=forget) as change:
        release = change.release
        if state not in ReleaseItem.State.values:
            raise ValidationError({"state": f"Unknown state {state!r}."})
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise ValidationError(
                {"note": f"Keep the note under {MAX_NOTE} characters."}
            )
        if state in ReleaseItem.NOTE_REQUIRED and not note:
            raise ValidationError(
                {"note": "Say why this item is blocked or not applicable."}
            )
        refusal = lifecycle.item_refusal(release.status, item)
        if refusal:
            raise ValidationError(refusal)
        if change.item is None:  # nested in a change of the release
            item = _locked_item(item.pk, release.environment_id if ticked else None)
        else:
            item = change.item
            if ticked:
                item.probe_verifies = change.item_read
        # The locked release: its revision is the one this change counts.
        item.release = release
        before = _item_facts(item)
        if proof is not None:
            item.evidence_result_id, item.evidence_status = (
                proof.result_id,
                proof.status,
            )
            item.by_hand, item.accepted_warning = False, ""
        else:
            if not ticked:
                item.accepted_warning = ""
            elif item.probe_warning:
                item.accepted_warning = item.note
            elif item.state != ReleaseItem.State.DONE:
                item.accepted_warning = ""
            item.by_hand = (
                ticked and item.kind == item.Kind.CHECK and bool(item.probe_verifies)
            )
            item.evidence_result_id, item.evidence_status = None, ""
        item.state, item.note = state, note
        item.changed_by, item.changed_at = by, timezone.now()
        # Nothing reads the row back in this change: sent with its count.
        change.write(*rows.update(item, _ITEM_STATE_FIELDS))
        before, after = audit.diff(before, _item_facts(item))
        audit.record(
            actor=by,
            actor_label="" if by else f"probe run #{proof.run_id}",
            action="release_item.state_changed",
            target=item,
            team_id=release.team_id,
            release_id=release.pk,
            before={"text": item.text, **before},
            after=after,
            # The event is appended with the count, in its statement.
            send=change.with_queries,
        )
        if state == ReleaseItem.State.BLOCKED and "state" in after:
            events.publish(
                "release.blocked",
                team_id=release.team_id,
                release=release,
                item=item.pk,
                text=item.text,
            )
    if then is not None:
        then(item, change)
    return item


# What setting an item's state writes (ReleaseItem has no save() of its own
# and no signal receivers: the statement of apps.core.rows.update writes them).
_ITEM_STATE_FIELDS = (
    "state",
    "note",
    "evidence_result_id",
    "evidence_status",
    "by_hand",
    "accepted_warning",
    "changed_by",
    "changed_at",
)


def _locked_item(pk: int, environment_id: int | None) -> ReleaseItem:
    """The item's row, locked; with an environment, also whether one of its
    probes verifies the item (`probe_verifies`), asked in the locking read
    itself so that a tick costs no extra round trip."""
    verifies = environment_id is not None
    with connection.cursor() as cursor:
        params = [environment_id, pk] if verifies else [pk]
        cursor.execute(_locked_item_sql(verifies), params)
        row = cursor.fetchone()
    if row is None:
        raise ReleaseItem.DoesNotExist(f"No checklist item {pk}.")
    item = rows.instance(ReleaseItem, row)
    if verifies:
        item.probe_verifies = row[-1]
    return item


@cache
def _verified_sql() -> str:
    """Whether a probe of the release's environment verifies the item, asked in
    the release's locking read (the release aliased r, the item i)."""
    return verdict.verified_item_sql("i", environment="r.environment_id")


@cache
def _locked_item_sql(verifies: bool) -> str:
    lock = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else ""
    extra = f", {verdict.verified_item_sql('i')}" if verifies else ""
    return (
        f"SELECT {rows.columns(ReleaseItem, 'i')}{extra}"  # noqa: S608 (names only)
        f" FROM {rows.table(ReleaseItem)} i WHERE i.id = %s{lock}"
    )


def _item_facts(item: ReleaseItem) -> dict:
    """An item's state as its audit events record it."""
    return {
        "state": item.state,
        "note": item.note,
        "evidence_result": item.evidence_result_id,
        "evidence_status": item.evidence_status,
        "by_hand": item.by_hand,
        "accepted_warning": item.accepted_warning,
    }
