"""Hand-written SQL about probe runs.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.core.rows import digest_sql, table
from apps.probes.models import ProbeConfig, ProbeRun


def latest_run_sql(release: str, column: str) -> str:
    """A column of the release's latest probe run, as a scalar subquery:
    hand-written for the release page's stamp (apps.readiness.stamps)."""
    return (
        f"(SELECT p.{column} FROM {table(ProbeRun)} p"
        f" WHERE p.release_id = {release}"
        " ORDER BY p.created_at DESC, p.id DESC LIMIT 1)"
    )


def enabled_configs_sql(environment: str) -> str:
    """A digest of the environment's enabled probe configurations as the verdict
    reads them (id, name, severity), as a scalar subquery."""
    return digest_sql(
        f"{table(ProbeConfig)} x WHERE x.environment_id = {environment} AND x.enabled",
        ["id", "name", "severity"],
    )
