"""Hand-written reads on the hot paths: what cached answers depend on.

The dashboard, the release list and the readiness API answer most requests
from the cache or with a 304. What decides between that and a full render is
read here, each in one round trip. The ORM spent several times PostgreSQL's
own time building these statements, so they are written by hand; each app
writes the part about its own tables (accounts.stamps, catalog.stamps,
maintenance.stamps), and the release page's stamp is apps.readiness.stamps.

Statements are assembled from model table names and fixed expressions only;
every value is a bound parameter.
"""

# ruff: noqa: S608

from collections.abc import Callable, Mapping, Sequence

from django.contrib.auth.models import User
from django.db import connection
from django.http import Http404

from apps.accounts import permissions
from apps.accounts import stamps as account_stamps
from apps.catalog import stamps as catalog_stamps
from apps.core.rows import MAX_ID, table
from apps.releases import revisions
from apps.releases.models import Release

# A part of visible_releases(): given a condition on a `team_id` column and
# its parameters, one aggregate row's statement and its parameters.
StampPart = Callable[[str, list], tuple[str, list]]


def _require_id(pk: object) -> None:
    """404 for what cannot be a release's id (a bigint), before any query."""
    if not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise Http404("No such release.")


def release_row(pk: int, sql: str, params: list) -> tuple:
    """The one row of a statement about release pk, or 404 when there is none."""
    _require_id(pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such release.")
    return row


def release_revision(
    user: User, pk: int, read: Mapping[str, str | None] | None = None
) -> int:
    """The release's revision, or 404 when it does not exist or belongs to a
    team the user is not in, for answers cached by revision.

    From the revision's mirror in Redis (apps.releases.revisions) when the
    user's teams are known without a query (an API token's owner), else in one
    small query, which fills the mirror. `read`: the mirror's text if it was
    read already (revisions.mirrored()).
    """
    _require_id(pk)
    teams = None if user.is_superuser else permissions.known_team_ids(user)
    if user.is_superuser or teams is not None:
        held = revisions.mirrored(pk, read)
        if held is not None:
            revision, team_id = held
            if teams is not None and team_id not in teams:
                raise Http404("No such release.")
            return revision
    sql = f"SELECT r.revision, r.team_id FROM {table(Release)} r WHERE r.id = %s"
    params: list = [pk]
    if not user.is_superuser:
        sql += f" AND r.team_id IN {account_stamps.member_team_ids_sql()}"
        params.append(user.pk)
    revision, team_id = release_row(pk, sql, params)
    revisions.mirror(pk, revision, team_id)
    return revision


def visible_releases(user: User, *, also: Sequence[StampPart] = ()) -> tuple:
    """A summary of every release the viewer may see and what a list of them
    shows with them, read in one round trip, so that an unchanged dashboard or
    list is answered from the cache (or with a 304) before their own queries run.

    It changes when any release of the viewer's teams is added or changed (a
    database trigger stamps every write to a release, through any code path,
    with a new `activity` number; the newest per team is read here; releases
    are never deleted, they are cancelled), when a service or environment of
    theirs is added, renamed or removed (the filter's choices and the rows'
    names), when their memberships change, and when what the `also` parts
    count changes (the dashboard adds its overdue maintenance checklists).
    Whatever it misses (a freeze window opening) is bounded by the minute in
    every fragment key.
    """
    teams, team_params, team_rows, row_params = account_stamps.visible_teams_sql(user)
    # One row from each aggregate, so that each table is read once;
    # (statement, parameters) in the order of their placeholders.
    parts = [
        (
            # A trigger stamps every write to a release with a new, larger
            # `activity`: the newest per team (an index lookup) tells any change.
            "SELECT COUNT(*) AS teams, COALESCE(SUM(newest), 0) AS activity"
            f" FROM (SELECT (SELECT MAX(r.activity) FROM {table(Release)} r"
            " WHERE r.team_id = t.team_id) AS newest"
            f" FROM {team_rows}) newest_per_team",
            row_params,
        ),
        account_stamps.membership_stamp_sql(user),
        catalog_stamps.environment_stamp_sql(teams, team_params),
        *(part(teams, team_params) for part in also),
    ]
    statement = "SELECT * FROM " + ", ".join(
        f"({part}) t{number}" for number, (part, _) in enumerate(parts)
    )
    params = [value for _, values in parts for value in values]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return tuple(str(value) for value in cursor.fetchone())
