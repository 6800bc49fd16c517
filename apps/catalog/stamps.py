"""Hand-written SQL about services and environments.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.catalog.models import Environment, Service
from apps.core.rows import table


def environment_stamp_sql(teams: str, params: list) -> tuple[str, list]:
    """The teams' services and environments, counted, with their latest change:
    hand-written for the statements that stamp cached pages; `teams` is a
    condition on a `team_id` column with its parameters."""
    return (
        "SELECT COUNT(DISTINCT s.id) AS services, MAX(s.updated_at) AS changed,"
        " COUNT(e.id) AS environments, MAX(e.updated_at) AS environment_changed"
        f" FROM {table(Service)} s"
        f" LEFT JOIN {table(Environment)} e ON e.service_id = s.id"
        f" WHERE s.{teams}",
        params,
    )
