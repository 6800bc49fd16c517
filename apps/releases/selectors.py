"""Reads of releases, scoped to the teams the user belongs to."""

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.permissions import team_ids_for
from apps.releases.models import Release, ReleaseItem


def release_list_for_user(user: User) -> QuerySet[Release]:
    teams = team_ids_for(user)
    releases = Release.objects.select_related("service", "environment", "team")
    return releases if teams is None else releases.filter(team_id__in=teams)


def release_get_for_user(user: User, pk: int) -> Release:
    """The release, or 404 when it does not exist or belongs to another team."""
    try:
        return release_list_for_user(user).get(pk=pk)
    except (Release.DoesNotExist, ValueError, TypeError):
        raise Http404("No such release.") from None


def release_item_get_for_user(user: User, pk: int) -> ReleaseItem:
    teams = team_ids_for(user)
    items = ReleaseItem.objects.select_related("release", "release__team")
    if teams is not None:
        items = items.filter(release__team_id__in=teams)
    try:
        return items.get(pk=pk)
    except (ReleaseItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such checklist item.") from None
