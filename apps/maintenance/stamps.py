"""Hand-written SQL about maintenance checklists.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.catalog.models import Environment, Service
from apps.core.rows import table
from apps.maintenance.models import MaintenanceChecklist, MaintenancePlan


def overdue_stamp_sql(teams: str, params: list, now) -> tuple[str, list]:
    """The teams' overdue checklists, counted and summed by id: hand-written for
    the dashboard's stamp (apps.releases.stamps.visible_releases); `teams` is a
    condition on a `team_id` column with its parameters."""
    return (
        "SELECT COUNT(*) AS n, COALESCE(SUM(c.id), 0) AS ids"
        f" FROM {table(MaintenanceChecklist)} c"
        f" JOIN {table(MaintenancePlan)} p ON p.id = c.plan_id"
        f" JOIN {table(Environment)} e ON e.id = p.environment_id"
        f" JOIN {table(Service)} s ON s.id = e.service_id"
        f" WHERE c.completed_at IS NULL AND c.due_at <= %s AND s.{teams}",
        [now, *params],
    )
