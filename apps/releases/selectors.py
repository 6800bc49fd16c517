"""Reads of releases, scoped to the teams the user belongs to."""

import re
from dataclasses import dataclass, fields
from functools import cache
from typing import ClassVar

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts.models import Team
from apps.accounts.permissions import team_ids_for
from apps.core import rows
from apps.core.rows import MAX_ID, Row
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


class ReleaseNotFound(LookupError):
    """No release, or more than one, matches a reference; the message says which."""


_ID = re.compile(r"^[0-9]{1,18}$")


def release_find(reference: str) -> Release:
    """The release an id or `service@version[@environment]` names (service by
    slug or name; a cancelled release only when nothing else matches).

    For commands, which act for the operator and see every team: `gate` and
    `run_probes` share it. Raises ReleaseNotFound for a malformed reference,
    no match, or a match in several environments.
    """
    reference = reference.strip()
    if _ID.match(reference):
        release = Release.objects.filter(pk=int(reference)).first()
        if release is None:
            raise ReleaseNotFound(f"No release has id {reference}.")
        return release
    parts = reference.split("@")
    if len(parts) not in (2, 3) or not all(part.strip() for part in parts):
        raise ReleaseNotFound(
            f"{reference!r} is not a release: give an id or "
            "service@version[@environment]."
        )
    service, version, *environment = (part.strip() for part in parts)
    releases = Release.objects.filter(
        Q(service__slug=service) | Q(service__name=service), version=version
    ).select_related("service", "environment")
    if environment:
        releases = releases.filter(environment__name=environment[0])
    live = [r for r in releases if r.status != Release.Status.CANCELLED]
    candidates = live or list(releases)
    if not candidates:
        raise ReleaseNotFound(f"No release matches {reference}.")
    if len(candidates) > 1:
        names = ", ".join(sorted(r.environment.name for r in candidates))
        raise ReleaseNotFound(
            f"{reference} matches releases to several environments ({names}); "
            "add @environment."
        )
    return candidates[0]


def release_item_get_for_user(user: User, pk: int) -> ReleaseItem:
    """The item with its release and team, or 404 when it does not exist or
    belongs to another team.

    Every tick reads it first: one hand-written statement (apps.core.rows)
    rather than the ORM's select_related, whose compiling cost a tick more CPU
    than the statement itself.
    """
    return release_item_read_for_user(user, pk)[0]


def release_item_read_for_user(
    user: User, pk: int, read: str = ""
) -> tuple[ReleaseItem, tuple]:
    """release_item_get_for_user(), and the values of `read`: more columns (SQL
    of the release aliased `r`, names only) read in the same statement; the
    item tick reads its cache stamp's facts so, before it takes any lock."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    if pk is None or not 0 < pk <= MAX_ID:  # a bigint, as the ORM's lookups check
        raise Http404("No such checklist item.")
    with connection.cursor() as cursor:
        cursor.execute(_item_sql(read), [pk])
        row = cursor.fetchone()
    teams = team_ids_for(user)
    if row is None or (teams is not None and row[_TEAM_ID] not in teams):
        raise Http404("No such checklist item.")
    item = rows.instance(ReleaseItem, row)
    item.release = rows.instance(Release, row, _RELEASE_AT)
    item.release.team = rows.instance(Team, row, _TEAM_AT)
    return item, tuple(row[_READ_AT:])


_RELEASE_AT = len(ReleaseItem._meta.concrete_fields)
_TEAM_AT = _RELEASE_AT + len(Release._meta.concrete_fields)
_TEAM_ID = _TEAM_AT + [f.attname for f in Team._meta.concrete_fields].index("id")
_READ_AT = _TEAM_AT + len(Team._meta.concrete_fields)


@cache
def _item_sql(read: str) -> str:
    return (
        f"SELECT {rows.columns(ReleaseItem, 'i')}, {rows.columns(Release, 'r')},"  # noqa: S608 (names only)
        f" {rows.columns(Team, 't')}{', ' + read if read else ''}"
        f" FROM {rows.table(ReleaseItem)} i"
        f" JOIN {rows.table(Release)} r ON r.id = i.release_id"
        f" JOIN {rows.table(Team)} t ON t.id = r.team_id WHERE i.id = %s"
    )


@dataclass(slots=True, eq=False)
class GatingItem(Row):
    """The fields of a checklist item that readiness reads, without a model
    instance (a dashboard page judges ~60 items for each of its 20 releases).
    `gates_readiness` and `settled` are the model's own properties."""

    FIELDS: ClassVar[tuple[str, ...]]
    id: int
    release_id: int
    text: str
    state: str
    note: str
    required: bool
    kind: str
    phase: str
    evidence_status: str
    Kind: ClassVar = ReleaseItem.Kind
    State: ClassVar = ReleaseItem.State
    gates_readiness = ReleaseItem.gates_readiness
    settled = ReleaseItem.settled


GatingItem.FIELDS = tuple(field.name for field in fields(GatingItem))


def gating_items_many(release_ids: list[int]) -> dict[int, list[GatingItem]]:
    """The items that gate readiness, of many releases, in one query."""
    rows = (
        ReleaseItem.objects.filter(
            release_id__in=release_ids,
            phase="pre_deployment",
            kind=ReleaseItem.Kind.CHECK,
            required=True,
        )
        .order_by("position")
        .values_list(*GatingItem.FIELDS)
    )
    items: dict[int, list[GatingItem]] = {pk: [] for pk in release_ids}
    for row in rows:
        items[row[1]].append(GatingItem(*row))
    return items
