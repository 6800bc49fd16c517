"""Hand-written SQL about contacts and support resources.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.contacts.models import Contact, SupportResource
from apps.core.rows import table


def shown_stats_sql(service: str, team: str) -> list[str]:
    """How many contacts and resources a service's page shows (its own and the
    team-wide ones), and their latest change: hand-written for the release
    page's stamp (apps.readiness.stamps)."""
    shown = (
        f"(c.service_id = {service} OR (c.service_id IS NULL AND c.team_id = {team}))"
    )
    stat = "(SELECT {} FROM {} c WHERE " + shown + ")"
    return [
        stat.format("COUNT(*)", table(Contact)),
        stat.format("MAX(c.updated_at)", table(Contact)),
        stat.format("COUNT(*)", table(SupportResource)),
        stat.format("MAX(c.updated_at)", table(SupportResource)),
    ]
