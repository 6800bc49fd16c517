"""Who is on call, and changing a team's rotation and its overrides."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.audit import services as audit
from apps.contacts import selectors as contacts
from apps.contacts.models import Contact
from apps.core import cron, moments
from apps.oncall.models import Override, Rotation, RotationMember

LONGEST_OVERRIDE = timedelta(days=366)


@dataclass(frozen=True)
class OnCall:
    """Who is on call at a moment, why, and until when."""

    user: User
    until: datetime
    override: Override | None = None

    @property
    def reason(self) -> str:
        if self.override is None:
            return "rotation"
        return self.override.reason or "override"


def zone(name: str) -> ZoneInfo:
    """The named time zone; ValidationError when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": f"Unknown time zone {name!r}."}) from None


def handover_before(rotation: Rotation, at: datetime) -> datetime:
    """The latest hand-over at or before `at`, in the rotation's time zone."""
    tz = cron.stored_zone(rotation.time_zone)
    local = at.astimezone(tz)
    back = (local.weekday() - rotation.handover_weekday) % 7
    day = local.date() - timedelta(days=back)
    candidate = datetime.combine(day, rotation.handover_time, tzinfo=tz)
    if candidate > local:
        candidate = datetime.combine(
            day - timedelta(days=7), rotation.handover_time, tzinfo=tz
        )
    return candidate


def next_handover(rotation: Rotation, previous: datetime) -> datetime:
    day = previous.date() + timedelta(days=7)
    return datetime.combine(day, rotation.handover_time, tzinfo=previous.tzinfo)


def on_call_now(team: Team, at: datetime | None = None) -> OnCall | None:
    """Who is on call for the team at `at` (now by default), or None.

    An override covering the moment wins; otherwise the rotation's member for
    the week that began at the last hand-over. None before the rotation starts
    or when it has nobody.
    """
    at = at or timezone.now()
    rotation = Rotation.objects.filter(team=team).first()
    if rotation is None:
        return None
    override = (
        rotation.overrides.filter(starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("-created_at", "-id")
        .first()
    )
    if override is not None:
        return OnCall(user=override.user, until=override.ends_at, override=override)
    members = list(rotation.members.select_related("user").order_by("position"))
    if not members:
        return None
    start = handover_before(rotation, at)
    if start.date() < rotation.starts_on:
        return None
    weeks = (start.date() - rotation.starts_on).days // 7
    return OnCall(
        user=members[weeks % len(members)].user,
        until=next_handover(rotation, start),
    )


def escalation_contacts(team: Team, service=None) -> list[Contact]:
    """The contacts to call in order: the service's and team-wide, or team-wide."""
    if service is not None:
        return list(contacts.contacts_for_service(service))
    return list(
        Contact.objects.filter(team=team, service__isnull=True).order_by(
            "escalation_order", "role"
        )
    )


def on_call_text(team: Team, service=None) -> str:
    """A few lines for a failure email: who is on call and whom to escalate to."""
    duty = on_call_now(team)
    lines = [
        f"On call now: {duty.user.get_full_name() or duty.user.get_username()}"
        f" ({duty.user.email or 'no email'}) until {duty.until:%Y-%m-%d %H:%M %Z}"
        if duty
        else "On call now: nobody (no rotation configured)."
    ]
    contacts = escalation_contacts(team, service)
    if contacts:
        lines.append("Escalation:")
        lines += [
            f"  {c.escalation_order}. {c.role}: {c.name} {c.phone} {c.email}".rstrip()
            for c in contacts
        ]
    return "\n".join(lines)


@transaction.atomic
def rotation_save(
    *,
    team: Team,
    by: User,
    time_zone: str,
    handover_weekday: int,
    handover_time: time,
    starts_on: date,
    members: list[User],
) -> Rotation:
    """Set the team's rotation and its order of people; leads only.

    Refuses an unknown time zone, a start date on another weekday, people
    outside the team and auditors (who cannot act on an incident).
    """
    permissions.require(by, "manage_contacts", team)
    zone(time_zone)
    moments.day_check(starts_on, field="starts_on")
    errors = {}
    if not 0 <= int(handover_weekday) <= 6:
        errors["handover_weekday"] = "Use 0 (Monday) to 6 (Sunday)."
    elif starts_on.weekday() != int(handover_weekday):
        errors["starts_on"] = "Start the rotation on its hand-over weekday."
    if len({user.pk for user in members}) != len(members):
        errors["members"] = "List each person once."
    for user in members:
        if not permissions.can(user, "tick", team):
            errors["members"] = f"{user} is not an engineer or lead of {team}."
    if errors:
        raise ValidationError(errors)
    rotation = Rotation.objects.filter(team=team).first()
    before = _facts(rotation) if rotation else {}
    if rotation is None:
        rotation = Rotation(team=team)
    rotation.time_zone = time_zone
    rotation.handover_weekday = int(handover_weekday)
    rotation.handover_time, rotation.starts_on = handover_time, starts_on
    rotation.save()
    rotation.members.all().delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, user=user, position=position)
        for position, user in enumerate(members)
    )
    changed_before, changed_after = audit.diff(before, _facts(rotation))
    audit.record(
        actor=by,
        action="oncall_rotation.saved",
        target=rotation,
        team_id=team.pk,
        before=changed_before,
        after=changed_after,
    )
    return rotation


def _facts(rotation: Rotation) -> dict:
    return {
        "time_zone": rotation.time_zone,
        "handover_weekday": rotation.handover_weekday,
        "handover_time": rotation.handover_time.isoformat(),
        "starts_on": rotation.starts_on.isoformat(),
        "members": [
            m.user.get_username()
            for m in rotation.members.select_related("user").order_by("position")
        ],
    }


@transaction.atomic
def override_add(
    *,
    rotation: Rotation,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    reason: str = "",
) -> Override:
    """Let someone cover the rotation between two moments; leads only.

    Refuses moments outside 2000-2100, an end before the start and a cover of
    more than LONGEST_OVERRIDE (a holiday or a swap, not a new rotation).
    """
    team = rotation.team
    permissions.require(by, "manage_contacts", team)
    starts_at, ends_at = moments.window_check(
        starts_at, ends_at, longest=LONGEST_OVERRIDE
    )
    if not permissions.can(user, "tick", team):
        raise ValidationError({"user": f"{user} is not an engineer or lead of {team}."})
    override = Override.objects.create(
        rotation=rotation,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_by=by,
    )
    audit.record(
        actor=by,
        action="oncall_override.added",
        target=override,
        team_id=team.pk,
        after={
            "rotation": str(rotation),
            "user": user.get_username(),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": override.reason,
        },
    )
    return override


@transaction.atomic
def override_delete(*, override: Override, by: User) -> None:
    """Remove a cover (planned, running or past); leads only."""
    team = override.rotation.team
    permissions.require(by, "manage_contacts", team)
    _override_delete(override, by=by, team=team)


def _override_delete(override: Override, *, by: User, team: Team) -> None:
    audit.record(
        actor=by,
        action="oncall_override.deleted",
        target=override,
        team_id=team.pk,
        before={
            "rotation": str(override.rotation),
            "user": override.user.get_username(),
            "starts_at": override.starts_at,
            "ends_at": override.ends_at,
            "reason": override.reason,
        },
    )
    override.delete()


@transaction.atomic
def rotation_delete(*, rotation: Rotation, by: User) -> None:
    """Stop the team's on-call rotation; leads only.

    Its overrides go with it, each recorded as removed, so the audit trail
    names every row that disappears. Nobody is on call afterwards, and
    failure emails say so, until a lead sets up a rotation again.
    """
    team = rotation.team
    permissions.require(by, "manage_contacts", team)
    rotation = Rotation.objects.select_for_update().get(pk=rotation.pk)
    for override in rotation.overrides.select_related("user").order_by("id"):
        _override_delete(override, by=by, team=team)
    audit.record(
        actor=by,
        action="oncall_rotation.deleted",
        target=rotation,
        team_id=team.pk,
        before=_facts(rotation),
    )
    rotation.delete()
