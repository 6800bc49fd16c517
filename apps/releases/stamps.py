"""Hand-written reads on the hot paths: what cached pages and answers depend on.

The release page, the dashboard, the release list and the readiness API answer
most requests from the cache or with a 304. What decides between that and a
full render is read here, each in one round trip. The ORM spent several times
PostgreSQL's own time building these statements, so they are written by hand.

Statements are assembled from model table names and fixed expressions only;
every value is a bound parameter.
"""

# ruff: noqa: S608

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import User
from django.db import connection
from django.http import Http404

from apps.releases.models import Release


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _release_row(pk: int, sql: str, params: list) -> tuple:
    """The one row of a statement about release pk, or 404 when there is none."""
    if not isinstance(pk, int) or not 0 < pk < 2**63:
        raise Http404("No such release.")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such release.")
    return row


@dataclass(frozen=True)
class PageStamp:
    """What the release page's cached body depends on, read in one round trip."""

    release_id: int
    team_id: int
    revision: int
    viewer_role: str | None
    latest_run_id: int | None
    latest_run_status: str | None
    contacts: tuple
    resources: tuple
    signers: tuple


@cache
def _page_stamp_sql() -> str:
    from apps.accounts.models import Membership, SignOffGroup
    from apps.checklists.models import ChecklistTemplate, SignOffEligibility
    from apps.contacts.models import Contact, SupportResource
    from apps.probes.models import ProbeRun

    run = (
        f"SELECT {{}} FROM {_table(ProbeRun)} p WHERE p.release_id = r.id"
        " ORDER BY p.created_at DESC, p.id DESC LIMIT 1"
    )
    # Contacts and resources of the release's service, and the team-wide ones.
    shown = (
        "(c.service_id = r.service_id"
        " OR (c.service_id IS NULL AND c.team_id = r.team_id))"
    )
    stat = "(SELECT {} FROM {} c WHERE " + shown + ")"
    # Who may sign (the team's eligibility and groups) and whether the creator
    # may approve (the template's option) change the sign-off panel, not the
    # release's revision.
    team_stat = "(SELECT {} FROM {} g WHERE g.team_id = r.team_id)"
    return (
        "SELECT r.id, r.team_id, r.revision,"
        f" (SELECT m.role FROM {_table(Membership)} m"
        "   WHERE m.team_id = r.team_id AND m.user_id = %s LIMIT 1),"
        f" ({run.format('p.id')}), ({run.format('p.status')}),"
        f" {stat.format('COUNT(*)', _table(Contact))},"
        f" {stat.format('MAX(c.updated_at)', _table(Contact))},"
        f" {stat.format('COUNT(*)', _table(SupportResource))},"
        f" {stat.format('MAX(c.updated_at)', _table(SupportResource))},"
        f" {team_stat.format('COUNT(*)', _table(SignOffEligibility))},"
        f" {team_stat.format('MAX(g.updated_at)', _table(SignOffEligibility))},"
        f" {team_stat.format('COUNT(*)', _table(SignOffGroup))},"
        f" {team_stat.format('MAX(g.updated_at)', _table(SignOffGroup))},"
        f" (SELECT t.allow_creator_approval FROM {_table(ChecklistTemplate)} t"
        "   WHERE t.id = r.template_id)"
        f" FROM {_table(Release)} r WHERE r.id = %s"
    )


def release_page(user: User, pk: int) -> PageStamp:
    """The release's page stamp for this viewer, or 404 when the release does not
    exist or belongs to a team the viewer is not in.

    The release page answers most requests (htmx polling, reloads) with a 304 or
    a cached body, so this read is the page's hot path: one hand-written query
    (the ORM spent several times the database's own time building it), with the
    viewer's role, so the membership check costs no second round trip."""
    row = _release_row(pk, _page_stamp_sql(), [user.pk, pk])
    if row[3] is None and not user.is_superuser:
        raise Http404("No such release.")
    return PageStamp(
        release_id=row[0],
        team_id=row[1],
        revision=row[2],
        viewer_role=row[3],
        latest_run_id=row[4],
        latest_run_status=row[5],
        contacts=(row[6], str(row[7])),
        resources=(row[8], str(row[9])),
        signers=(row[10], str(row[11]), row[12], str(row[13]), row[14]),
    )


def release_revision(user: User, pk: int) -> int:
    """The release's revision, or 404 when it does not exist or belongs to a
    team the user is not in: one small query, for answers cached by revision."""
    from apps.accounts.models import Membership

    sql = f"SELECT r.revision FROM {_table(Release)} r WHERE r.id = %s"
    params: list = [pk]
    if not user.is_superuser:
        sql += (
            f" AND r.team_id IN (SELECT m.team_id FROM"
            f" {_table(Membership)} m WHERE m.user_id = %s)"
        )
        params.append(user.pk)
    return _release_row(pk, sql, params)[0]


def visible_releases(user: User, now) -> tuple:
    """A summary of every release the viewer may see and what the dashboard and
    the release list show with them, read in one round trip, so that an
    unchanged dashboard or list is answered from the cache (or with a 304)
    before their own queries run.

    It changes when any release of the viewer's teams is added or changed (a
    database trigger stamps every write to a release, through any code path,
    with a new `activity` number; the newest per team is read here; releases
    are never deleted, they are cancelled),
    when a service or environment of theirs is added, renamed or removed (the
    filter's choices and the rows' names), when their memberships change, and
    when the set of overdue maintenance checklists changes. Whatever it misses
    (a freeze window opening) is bounded by the minute in every fragment key.
    """
    from apps.accounts.models import Membership, Team
    from apps.catalog.models import Environment, Service
    from apps.maintenance.models import MaintenanceChecklist, MaintenancePlan

    if user.is_superuser:
        teams, team_params = "1 = 1", []
        team_rows = f"(SELECT id AS team_id FROM {_table(Team)}) t"
    else:
        teams = (
            f"team_id IN (SELECT team_id FROM {_table(Membership)} WHERE user_id = %s)"
        )
        team_params = [user.pk]
        team_rows = f"{_table(Membership)} t WHERE t.user_id = %s"
    # One row from each of four aggregates, so that each table is read once;
    # (statement, parameters) in the order of their placeholders.
    parts = [
        (
            # A trigger stamps every write to a release with a new, larger
            # `activity`: the newest per team (an index lookup) tells any change.
            "SELECT COUNT(*) AS teams, COALESCE(SUM(newest), 0) AS activity"
            f" FROM (SELECT (SELECT MAX(r.activity) FROM {_table(Release)} r"
            " WHERE r.team_id = t.team_id) AS newest"
            f" FROM {team_rows}) newest_per_team",
            team_params,
        ),
        (
            "SELECT COUNT(*) AS n, MAX(m.updated_at) AS changed"
            f" FROM {_table(Membership)} m WHERE m.user_id = %s",
            [user.pk],
        ),
        (
            "SELECT COUNT(DISTINCT s.id) AS services, MAX(s.updated_at) AS changed,"
            " COUNT(e.id) AS environments, MAX(e.updated_at) AS environment_changed"
            f" FROM {_table(Service)} s"
            f" LEFT JOIN {_table(Environment)} e ON e.service_id = s.id"
            f" WHERE s.{teams}",
            team_params,
        ),
        (
            "SELECT COUNT(*) AS n, COALESCE(SUM(c.id), 0) AS ids"
            f" FROM {_table(MaintenanceChecklist)} c"
            f" JOIN {_table(MaintenancePlan)} p ON p.id = c.plan_id"
            f" JOIN {_table(Environment)} e ON e.id = p.environment_id"
            f" JOIN {_table(Service)} s ON s.id = e.service_id"
            f" WHERE c.completed_at IS NULL AND c.due_at <= %s AND s.{teams}",
            [now, *team_params],
        ),
    ]
    statement = "SELECT * FROM " + ", ".join(
        f"({part}) t{number}" for number, (part, _) in enumerate(parts)
    )
    params = [value for _, values in parts for value in values]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return tuple(str(value) for value in cursor.fetchone())
