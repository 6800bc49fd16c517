"""Reads of teams and their members, scoped to the person asking."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts import permissions
from apps.accounts.models import Membership, Team


def team_list_for_user(user: User | AnonymousUser) -> QuerySet[Team]:
    """The teams the user belongs to (every team for a superuser), by name."""
    teams = permissions.team_ids_for(user)
    found = Team.objects.order_by("name")
    return found if teams is None else found.filter(pk__in=teams)


def team_get_for_user(user: User | AnonymousUser, slug: str) -> Team:
    """One of the user's teams by its slug; 404 for another team's."""
    team = team_list_for_user(user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def membership_list(team: Team) -> QuerySet[Membership]:
    """The team's members with their users, by username."""
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("user__username")
    )


def membership_get(team: Team, pk: int) -> Membership:
    membership = membership_list(team).filter(pk=pk).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def user_find(name: str) -> User | None:
    """An active account by its username or email address (either case)."""
    name = name.strip()
    if not name:
        return None
    found = User.objects.filter(
        Q(username__iexact=name) | Q(email__iexact=name), is_active=True
    )
    matches = list(found[:2])
    return matches[0] if len(matches) == 1 else None
