"""Hand-written SQL about teams and memberships.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from django.contrib.auth.models import User

from apps.accounts.models import Membership, SignOffGroup, Team
from apps.core.rows import table


def viewer_role_sql(team: str) -> str:
    """The viewer's role in the team `team` names, or NULL; one %s: the user id."""
    return (
        f"(SELECT m.role FROM {table(Membership)} m"
        f"   WHERE m.team_id = {team} AND m.user_id = %s LIMIT 1)"
    )


def signoff_group_stats_sql(team: str) -> list[str]:
    """How many sign-off groups the team has, and their latest change."""
    stat = f"(SELECT {{}} FROM {table(SignOffGroup)} g WHERE g.team_id = {team})"
    return [stat.format("COUNT(*)"), stat.format("MAX(g.updated_at)")]


def visible_teams_sql(user: User) -> tuple[str, list, str, list]:
    """The user's teams: (a condition on a `team_id` column, its parameters,
    a FROM clause with one `team_id` row per team, its parameters)."""
    if user.is_superuser:
        return "1 = 1", [], f"(SELECT id AS team_id FROM {table(Team)}) t", []
    return (
        f"team_id IN (SELECT team_id FROM {table(Membership)} WHERE user_id = %s)",
        [user.pk],
        f"{table(Membership)} t WHERE t.user_id = %s",
        [user.pk],
    )


def membership_stamp_sql(user: User) -> tuple[str, list]:
    """How many memberships the user has, and their latest change."""
    return (
        "SELECT COUNT(*) AS n, MAX(m.updated_at) AS changed"
        f" FROM {table(Membership)} m WHERE m.user_id = %s",
        [user.pk],
    )


def member_team_ids_sql() -> str:
    """The ids of the teams of a user (one %s: the user id), as a subquery."""
    return f"(SELECT m.team_id FROM {table(Membership)} m WHERE m.user_id = %s)"
