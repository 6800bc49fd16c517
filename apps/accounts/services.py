"""Changing teams and memberships. Every change is audited."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from apps.accounts import permissions
from apps.accounts.models import Membership, Team
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
    before = {"role": membership.role} if membership else {}
    if membership is None:
        membership = Membership.objects.create(team=team, user=user, role=role)
        action = "membership.created"
    else:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
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


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None) -> None:
    if by is not None:
        permissions.require(by, "manage_members", membership.team)
    audit.record(
        actor=by,
        action="membership.removed",
        target=membership,
        team_id=membership.team_id,
        before={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()
