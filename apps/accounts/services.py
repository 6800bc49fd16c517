"""Changing teams, memberships and sign-off groups. Every change is audited."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils.text import slugify

from apps.accounts import permissions
from apps.accounts.models import Membership, SignOffGroup, SignOffGroupMember, Team
from apps.audit import services as audit


@transaction.atomic
def team_create(*, name: str, by: User | None) -> Team:
    """Create a team; only superusers (or the system, by=None) may."""
    if by is not None and not by.is_superuser:
        raise ValidationError("Only an administrator can create teams.")
    name = name.strip()
    slug = slugify(name)[:120] or "team"
    # The slug is the team's address (/oncall/<slug>/) and unique too: "Team A"
    # and "team-a" would share one.
    if not name or len(name) > 120:
        raise ValidationError({"name": "Name the team in 1 to 120 characters."})
    if Team.objects.filter(Q(name=name) | Q(slug=slug)).exists():
        raise ValidationError({"name": "Choose a name no other team has."})
    team = Team.objects.create(name=name, slug=slug)
    audit.record(
        actor=by,
        action="team.created",
        target=team,
        team_id=team.pk,
        after={"name": name},
    )
    return team


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, by: User | None) -> Membership:
    """Give a user a role in a team, or change it."""
    if by is not None:
        permissions.require(by, "manage_members", team)
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    membership = (
        Membership.objects.select_for_update().filter(team=team, user=user).first()
    )
    if membership is not None and role != Membership.Role.ADMIN:
        _keep_an_admin(membership, "role")
    before = {"role": membership.role} if membership else {}
    if membership is None:
        membership = Membership.objects.create(team=team, user=user, role=role)
        action = "membership.created"
    else:
        # Set by hand, it is local from now on: single sign-on leaves it alone.
        if membership.source != Membership.Source.LOCAL:
            before["source"] = membership.source
        membership.role, membership.source = role, Membership.Source.LOCAL
        membership.save(update_fields=["role", "source", "updated_at"])
        action = "membership.changed"
    audit.record(
        actor=by,
        action=action,
        target=membership,
        team_id=team.pk,
        before=before,
        after={"user": user.get_username(), "role": role},
    )
    return membership


def _keep_an_admin(membership: Membership, field: str) -> None:
    """Refuse to take the team's last admin away: nobody could add members."""
    if membership.role != Membership.Role.ADMIN:
        return
    admins = Membership.objects.select_for_update().filter(
        team_id=membership.team_id, role=Membership.Role.ADMIN
    )
    if not admins.exclude(pk=membership.pk).exists():
        message = "The team needs another admin first: make someone admin, then retry."
        raise ValidationError({field: message})


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None) -> None:
    """Take a user out of a team, and out of the team's sign-off groups."""
    if by is not None:
        permissions.require(by, "manage_members", membership.team)
    _keep_an_admin(membership, "user")
    groups = SignOffGroupMember.objects.filter(
        group__team_id=membership.team_id, user_id=membership.user_id
    )
    before = {
        "user": membership.user.get_username(),
        "role": membership.role,
        "source": membership.source,
    }
    group_names = sorted(groups.values_list("group__name", flat=True))
    if group_names:
        before["signoff_groups"] = group_names
    audit.record(
        actor=by,
        action="membership.removed",
        target=membership,
        team_id=membership.team_id,
        before=before,
    )
    groups.delete()
    membership.delete()


def _group_name(team: Team, name: str, *, group: SignOffGroup | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": "Give the group a name of 1 to 120 characters."})
    taken = SignOffGroup.objects.filter(team=team, name__iexact=name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError({"name": f"{team} already has a group named {name}."})
    return name


@transaction.atomic
def signoff_group_create(*, team: Team, name: str, by: User | None) -> SignOffGroup:
    """Create a named sign-off group in a team (the team's admins)."""
    if by is not None:
        permissions.require(by, "manage_signoff_groups", team)
    name = _group_name(team, name)
    try:
        with transaction.atomic():
            group = SignOffGroup.objects.create(team=team, name=name)
    except IntegrityError:
        raise ValidationError(
            {"name": f"{team} already has a group named {name}."}
        ) from None
    audit.record(
        actor=by,
        action="signoff_group.created",
        target=group,
        team_id=team.pk,
        after={"name": name},
    )
    return group


@transaction.atomic
def signoff_group_rename(
    *, group: SignOffGroup, name: str, by: User | None
) -> SignOffGroup:
    """Give a sign-off group another name; its members and uses stay."""
    if by is not None:
        permissions.require(by, "manage_signoff_groups", group.team)
    name = _group_name(group.team, name, group=group)
    before = {"name": group.name}
    group.name = name
    try:
        with transaction.atomic():
            group.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise ValidationError(
            {"name": f"{group.team} already has a group named {name}."}
        ) from None
    audit.record(
        actor=by,
        action="signoff_group.renamed",
        target=group,
        team_id=group.team_id,
        before=before,
        after={"name": name},
    )
    return group


@transaction.atomic
def signoff_group_delete(*, group: SignOffGroup, by: User | None) -> None:
    """Delete a sign-off group. Refused while a sign-off role names it: the role
    would otherwise fall back to letting anyone on the team sign."""
    if by is not None:
        permissions.require(by, "manage_signoff_groups", group.team)
    before = {
        "name": group.name,
        "members": sorted(group.members.values_list("user__username", flat=True)),
    }
    audit.record(
        actor=by,
        action="signoff_group.deleted",
        target=group,
        team_id=group.team_id,
        before=before,
    )
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError:
        raise ValidationError(
            f"A sign-off role names {group.name}; choose who signs that role "
            "without it first."
        ) from None


@transaction.atomic
def not_a_signer(username: str, group: SignOffGroup) -> str:
    """The one answer for a username that cannot join a group, whether it exists
    elsewhere or nowhere, so the answer never tells other teams' people apart."""
    return (
        f"{username} is not a member of {group.team} who may sign off "
        "(auditors never sign)."
    )


def signoff_group_member_add(
    *,
    group: SignOffGroup,
    user: User,
    by: User | None,
    source: str = SignOffGroupMember.Source.LOCAL,
) -> SignOffGroupMember:
    """Put a member of the group's team who may sign off into the group.

    Refuses people outside the team and auditors (they never sign off).
    """
    if by is not None:
        permissions.require(by, "manage_signoff_groups", group.team)
    if source not in SignOffGroupMember.Source.values:
        raise ValidationError({"source": f"Unknown source {source!r}."})
    role = (
        Membership.objects.filter(team_id=group.team_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role not in permissions.ACTIONS["signoff"]:
        raise ValidationError({"user": not_a_signer(user.get_username(), group)})
    member, created = SignOffGroupMember.objects.get_or_create(
        group=group, user=user, defaults={"source": source}
    )
    if not created:
        raise ValidationError(
            {"user": f"{user.get_username()} is already in {group.name}."}
        )
    group.save(update_fields=["updated_at"])
    audit.record(
        actor=by,
        action="signoff_group.member_added",
        target=group,
        team_id=group.team_id,
        after={"user": user.get_username(), "source": source},
    )
    return member


@transaction.atomic
def signoff_group_member_remove(
    *, group: SignOffGroup, user: User, by: User | None
) -> None:
    """Take a person out of a sign-off group."""
    if by is not None:
        permissions.require(by, "manage_signoff_groups", group.team)
    member = SignOffGroupMember.objects.filter(group=group, user=user).first()
    if member is None:
        raise ValidationError(
            {"user": f"{user.get_username()} is not in {group.name}."}
        )
    audit.record(
        actor=by,
        action="signoff_group.member_removed",
        target=group,
        team_id=group.team_id,
        before={"user": user.get_username(), "source": member.source},
    )
    member.delete()
    group.save(update_fields=["updated_at"])
