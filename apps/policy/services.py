"""Writing the readiness policy: waivers, freeze windows and emergency exceptions.

Every function checks the person's role and writes an audit event in the same
transaction as its change. Post-deploy verification lives in verification.py.
"""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment
from apps.core import cron as recurrence
from apps.core import moments
from apps.policy.models import EmergencyException, FreezeWindow, Waiver
from apps.probes.models import ProbeConfig
from apps.releases import lifecycle
from apps.releases.models import Release, ReleaseItem
from apps.releases.writes import environment_changed, release_change

MAX_WAIVER = timedelta(days=30)
MAX_EXCEPTION = timedelta(days=2)
LONGEST_FREEZE = timedelta(days=366)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why."})
    return reason[:2000]


def _expiry(expires_at: datetime | None, longest: timedelta) -> datetime:
    now = timezone.now()
    if expires_at is not None:
        expires_at = moments.moment_check(expires_at, field="expires_at")
    if expires_at is None or expires_at <= now:
        raise ValidationError({"expires_at": "Give an expiry in the future."})
    if expires_at > now + longest:
        raise ValidationError(
            {"expires_at": f"Expire within {longest.days} days of now."}
        )
    return expires_at


def _waivable_label(release: Release, blocker_type: str, blocker_id: str) -> str:
    if blocker_type == Waiver.BlockerType.SIGNOFF:
        for role in release.signoff_roles:
            if role["key"] == blocker_id:
                return f"{role['name']} sign-off"
        raise ValidationError({"blocker_id": "Not a sign-off role of this release."})
    if not (blocker_id.isascii() and blocker_id.isdigit() and len(blocker_id) < 19):
        blocker_id = "0"  # no row has it: refused below with the usual message
    if blocker_type == Waiver.BlockerType.ITEM:
        item = ReleaseItem.objects.filter(release=release, pk=blocker_id).first()
        if item is None or not item.gates_readiness:
            raise ValidationError({"blocker_id": "Not a gating item of this release."})
        return item.text
    if blocker_type == Waiver.BlockerType.PROBE:
        config = ProbeConfig.objects.filter(
            environment_id=release.environment_id, pk=blocker_id
        ).first()
        if config is None:
            raise ValidationError(
                {"blocker_id": "Not a probe of this release's environment."}
            )
        return config.name
    raise ValidationError(
        {"blocker_type": "Waive a checklist item, a probe or a sign-off role."}
    )


@transaction.atomic
def waiver_request(
    *,
    release: Release,
    blocker_type: str,
    blocker_id: str | int,
    reason: str,
    expires_at: datetime | None,
    by: User,
) -> Waiver:
    """Ask to waive one blocking item or probe of a release until `expires_at`.

    Only leads (and admins) may ask; the waiver counts once another lead approves.
    """
    permissions.require(by, "override", release.team)
    if release.status not in lifecycle.OPEN_STATUSES:
        raise ValidationError("Only a release still being prepared can be waived.")
    blocker_id = str(blocker_id).strip()
    label = _waivable_label(release, blocker_type, blocker_id)
    standing = Waiver.objects.filter(
        release=release,
        blocker_type=blocker_type,
        blocker_id=blocker_id,
        declined_by__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if standing.exists():
        raise ValidationError(
            {"blocker_id": "This blocker already has a waiver asked for or in force."}
        )
    waiver = Waiver.objects.create(
        release=release,
        blocker_type=blocker_type,
        blocker_id=blocker_id,
        label=label[:500],
        reason=_reason(reason),
        expires_at=_expiry(expires_at, MAX_WAIVER),
        requested_by=by,
    )
    audit.record(
        actor=by,
        action="waiver.requested",
        target=waiver,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "blocker": f"{blocker_type}:{blocker_id}",
            "label": waiver.label,
            "reason": waiver.reason,
            "expires_at": waiver.expires_at,
        },
    )
    return waiver


@transaction.atomic
def waiver_approve(*, waiver: Waiver, by: User) -> Waiver:
    """Approve a waiver; refuses its requester, expired and already approved ones."""
    release = waiver.release
    permissions.require(by, "override", release.team)
    with release_change(release.pk):
        waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
        if waiver.requested_by_id == by.pk:
            raise PermissionDenied("Someone other than the requester must approve.")
        if waiver.approved:
            raise ValidationError("This waiver is already approved.")
        if waiver.declined:
            raise ValidationError("This waiver was declined; request a new one.")
        if waiver.expires_at <= timezone.now():
            raise ValidationError("This waiver has expired; request a new one.")
        waiver.approved_by, waiver.approved_at = by, timezone.now()
        waiver.save(update_fields=["approved_by", "approved_at"])
        _waiver_decided(
            waiver,
            release,
            action="waiver.approved",
            by=by,
            expires_at=waiver.expires_at,
        )
        return waiver


def _waiver_decided(
    waiver: Waiver, release: Release, action: str, by: User, **more
) -> None:
    """The audit event of a waiver approved or declined."""
    audit.record(
        actor=by,
        action=action,
        target=waiver,
        team_id=release.team_id,
        release_id=release.pk,
        after={
            "blocker": f"{waiver.blocker_type}:{waiver.blocker_id}",
            "label": waiver.label,
            "requested_by": waiver.requested_by.get_username(),
            **more,
        },
    )


@transaction.atomic
def waiver_decline(*, waiver: Waiver, by: User) -> Waiver:
    """Decline a waiver still waiting for approval; its requester may decline it
    too (a withdrawal). An approved waiver stays: it expires."""
    release = waiver.release
    permissions.require(by, "override", release.team)
    waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
    if waiver.approved:
        raise ValidationError("This waiver is already approved; it ends at expiry.")
    if waiver.declined:
        raise ValidationError("This waiver is already declined.")
    waiver.declined_by, waiver.declined_at = by, timezone.now()
    waiver.save(update_fields=["declined_by", "declined_at"])
    _waiver_decided(waiver, release, action="waiver.declined", by=by)
    return waiver


def freeze_window_clean(
    *,
    name: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    cron: str,
    time_zone: str,
    duration_minutes: int | None,
) -> dict:
    """A freeze window's fields, checked and tidied (nothing is written): the
    save below and the form's preview of its occurrences share it."""
    errors: dict[str, str] = {}
    name, cron = (name or "").strip(), " ".join((cron or "").split())
    if not name or len(name) > 120:
        errors["name"] = "Name the freeze in 1 to 120 characters."
    if cron:
        try:
            recurrence.Cron.parse(cron)
            recurrence.zone_for(time_zone or "UTC")
        except recurrence.CronError as error:
            errors["cron"] = str(error)
        if starts_at or ends_at:
            errors["starts_at"] = "A recurring freeze has no start and end dates."
        if not duration_minutes or not (
            0 < duration_minutes <= recurrence.MAX_DURATION.total_seconds() // 60
        ):
            errors["duration_minutes"] = "Give a duration of 1 minute to 31 days."
    elif not (starts_at and ends_at):
        errors["ends_at"] = "Give a start and a later end, or a cron recurrence."
    else:
        try:
            starts_at, ends_at = moments.window_check(
                starts_at, ends_at, longest=LONGEST_FREEZE
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors[key] = " ".join(messages)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "starts_at": starts_at if not cron else None,
        "ends_at": ends_at if not cron else None,
        "cron": cron,
        "time_zone": time_zone or "UTC",
        "duration_minutes": duration_minutes if cron else None,
    }


def freeze_facts(window: FreezeWindow) -> dict:
    return {
        "name": window.name,
        "reason": window.reason,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "cron": window.cron,
        "time_zone": window.time_zone,
        "duration_minutes": window.duration_minutes,
    }


@transaction.atomic
def freeze_window_save(
    *,
    environment: Environment,
    by: User | None,
    name: str,
    reason: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    cron: str = "",
    time_zone: str = "UTC",
    duration_minutes: int | None = None,
    window: FreezeWindow | None = None,
    actor_label: str = "",
) -> FreezeWindow:
    """Create or change a freeze window: one-off (start, end) or cron + duration.

    Leads and admins only; `by=None` is the policy import acting for a lead
    already checked by its caller.
    """
    if by is not None:
        permissions.require(by, "override", environment.service.team)
    fields = freeze_window_clean(
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        cron=cron,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
    )
    duplicate = FreezeWindow.objects.filter(
        environment=environment, name=fields["name"]
    )
    if window is not None:
        duplicate = duplicate.exclude(pk=window.pk)
    if duplicate.exists():
        raise ValidationError({"name": "Another freeze of this environment has it."})
    before = freeze_facts(window) if window else {}
    window = window or FreezeWindow(environment=environment, created_by=by)
    for key, value in fields.items():
        setattr(window, key, value)
    window.reason = (reason or "").strip()[:500]
    window.save()
    environment_changed(environment.pk)
    changed_before, changed_after = audit.diff(before, freeze_facts(window))
    audit.record(
        actor=by,
        actor_label=actor_label,
        action="freeze_window.changed" if before else "freeze_window.created",
        target=window,
        team_id=environment.service.team_id,
        before=changed_before,
        after={"environment": environment.name, **changed_after},
    )
    return window


@transaction.atomic
def freeze_window_delete(
    *, window: FreezeWindow, by: User | None, actor_label: str = ""
) -> None:
    """Remove a freeze window; leads and admins only."""
    team = window.environment.service.team
    if by is not None:
        permissions.require(by, "override", team)
    environment_changed(window.environment_id)
    audit.record(
        actor=by,
        actor_label=actor_label,
        action="freeze_window.deleted",
        target=window,
        team_id=team.pk,
        before={"environment": window.environment.name, **freeze_facts(window)},
    )
    window.delete()


@transaction.atomic
def emergency_exception_request(
    *, release: Release, reason: str, expires_at: datetime | None, by: User
) -> EmergencyException:
    """Ask to deploy a release through a freeze; two other approvals make it count."""
    permissions.require(by, "override", release.team)
    if release.status not in lifecycle.OPEN_STATUSES:
        raise ValidationError("Only a release still to be deployed needs an exception.")
    exception = EmergencyException.objects.create(
        release=release,
        reason=_reason(reason),
        expires_at=_expiry(expires_at, MAX_EXCEPTION),
        requested_by=by,
    )
    audit.record(
        actor=by,
        action="emergency_exception.requested",
        target=exception,
        team_id=release.team_id,
        release_id=release.pk,
        after={"reason": exception.reason, "expires_at": exception.expires_at},
    )
    return exception


@transaction.atomic
def emergency_exception_approve(
    *, exception: EmergencyException, by: User
) -> EmergencyException:
    """Add one of the two approvals an exception needs, from two distinct leads."""
    release = exception.release
    permissions.require(by, "override", release.team)
    with release_change(release.pk):
        exception = EmergencyException.objects.select_for_update().get(pk=exception.pk)
        if exception.expires_at <= timezone.now():
            raise ValidationError("This exception has expired; request a new one.")
        if exception.approved:
            raise ValidationError("This exception already has both approvals.")
        if exception.requested_by_id == by.pk:
            raise PermissionDenied("Someone other than the requester must approve.")
        if exception.first_approver_id == by.pk:
            raise PermissionDenied("A second, different person must approve.")
        if exception.first_approver_id is None:
            exception.first_approver = by
        else:
            exception.second_approver = by
        exception.save(update_fields=["first_approver", "second_approver"])
        audit.record(
            actor=by,
            action="emergency_exception.approved",
            target=exception,
            team_id=release.team_id,
            release_id=release.pk,
            after={"approvals": 2 if exception.approved else 1},
        )
        return exception
