"""Who may do what in a team: the one table of role permissions."""

from collections.abc import KeysView
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from apps.accounts.models import Membership, Team

M = TypeVar("M", bound=Model)

Role = Membership.Role

# Each action a person can take, and the roles allowed to take it. Auditors
# appear only under "view": they are read-only everywhere.
ACTIONS: dict[str, frozenset[str]] = {
    "view": frozenset({Role.LEAD, Role.ENGINEER, Role.AUDITOR, Role.ADMIN}),
    "view_audit": frozenset({Role.LEAD, Role.AUDITOR, Role.ADMIN}),
    "tick": frozenset({Role.LEAD, Role.ENGINEER, Role.ADMIN}),
    "signoff": frozenset({Role.LEAD, Role.ENGINEER, Role.ADMIN}),
    "run_probes": frozenset({Role.LEAD, Role.ENGINEER, Role.ADMIN}),
    "record_incident": frozenset({Role.LEAD, Role.ENGINEER, Role.ADMIN}),
    "create_release": frozenset({Role.LEAD, Role.ADMIN}),
    "transition": frozenset({Role.LEAD, Role.ADMIN}),
    "override": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_probes": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_catalog": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_contacts": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_templates": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_webhooks": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_signers": frozenset({Role.LEAD, Role.ADMIN}),
    "manage_members": frozenset({Role.ADMIN}),
    "manage_signoff_groups": frozenset({Role.ADMIN}),
}


def load_roles(user: User) -> dict[int, str]:
    """Read the user's role in each of their teams and keep it on the user
    object, where role_of() and known_team_ids() find it: for the request, or,
    for an API token's owner, as long as the token's check is reused
    (apps.accounts.tokens, at most API_AUTH_CACHE_MS)."""
    roles = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    user._shipshape_roles = roles
    return roles


def role_of(user: User | AnonymousUser, team: Team) -> str | None:
    """The user's role in the team, or None. Memberships are cached per request."""
    if not user.is_authenticated:
        return None
    cache = getattr(user, "_shipshape_roles", None)
    if cache is None:
        cache = load_roles(user)
    return cache.get(team.pk)


def known_team_ids(user: User | AnonymousUser) -> KeysView[int] | None:
    """The user's teams if they were read already (see load_roles), else None:
    no query."""
    roles = getattr(user, "_shipshape_roles", None)
    return None if roles is None else roles.keys()


def may_somewhere(user: User | AnonymousUser, action: str) -> bool:
    """Whether the user may take the action in at least one of their teams."""
    if user.is_authenticated and user.is_superuser:
        return True
    role_of(user, Team(pk=0))  # fills the per-request cache
    roles = getattr(user, "_shipshape_roles", {}).values()
    return any(role in ACTIONS[action] for role in roles)


def can(user: User | AnonymousUser, action: str, team: Team) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}.")
    if user.is_authenticated and user.is_superuser:
        return True
    return role_of(user, team) in ACTIONS[action]


def require(user: User | AnonymousUser, action: str, team: Team) -> None:
    """Raise PermissionDenied unless the user may take the action in the team."""
    if not can(user, action, team):
        raise PermissionDenied(f"Your role in {team} does not allow this.")


def team_ids_for(user: User | AnonymousUser) -> list[int] | None:
    """The teams whose objects the user may see; None means all (superuser)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    role_of(user, Team(pk=0))  # fills the per-request cache
    return list(user._shipshape_roles)


def get_for_user(
    queryset: QuerySet[M], user: User, pk: object, *, team_field: str, missing: str
) -> M:
    """The object pk of queryset if it belongs to one of the user's teams
    (`team_field` leads to its team's id); a 404 saying `missing` otherwise."""
    teams = team_ids_for(user)
    if teams is not None:
        queryset = queryset.filter(**{f"{team_field}__in": teams})
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(missing) from None


def team_or_none(user: User | AnonymousUser, pk: object) -> Team | None:
    """One of the user's teams by id (any team for a superuser), or None, for
    the API to answer "No such team." about a body's team field."""
    teams = team_ids_for(user)
    if teams is not None and pk not in teams:
        return None
    return Team.objects.filter(pk=pk).first()
