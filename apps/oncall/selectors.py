"""Reads of rotations, scoped to the user's teams."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.oncall.models import Override, Rotation


def team_get_for_user(user: User, slug: str) -> Team:
    """The team by slug; 404 unless the user belongs to it (or is a superuser)."""
    team = get_object_or_404(Team, slug=slug)
    teams = permissions.team_ids_for(user)
    if teams is not None and team.pk not in teams:
        raise Http404("No such team.")
    return team


def team_get_by_id_for_user(user: User, pk: object) -> Team:
    """The team by id, for the API; 404 unless the user belongs to it."""
    return permissions.get_for_user(
        Team.objects.all(), user, pk, team_field="pk", missing="No such team."
    )


def members_by_username(team: Team, names: list[str]) -> list[User]:
    """The team's members named, in the order given; a ValidationError naming
    those who are not members (the same for a user of another team as for
    nobody)."""
    people = {
        user.username: user
        for user in User.objects.filter(username__in=names, memberships__team=team)
    }
    missing = [name for name in names if name not in people]
    if missing:
        raise ValidationError(f"Not members of {team}: {', '.join(missing)}.")
    return [people[name] for name in names]


def rotation_for_team(team: Team) -> Rotation | None:
    return Rotation.objects.filter(team=team).prefetch_related("members__user").first()


def overrides_upcoming(rotation: Rotation, now) -> list[Override]:
    """Overrides not yet over, soonest first."""
    return list(
        rotation.overrides.filter(ends_at__gt=now)
        .select_related("user")
        .order_by("starts_at")
    )


def override_get_for_user(user: User, pk: object) -> Override:
    """An override of one of the user's teams' rotations; 404 otherwise."""
    return permissions.get_for_user(
        Override.objects.select_related("rotation__team", "user"),
        user,
        pk,
        team_field="rotation__team_id",
        missing="No such override.",
    )
