"""Hand-written SQL about waivers, emergency exceptions and freeze windows.

For the statements that stamp cached answers (apps.readiness.stamps): one
round trip each, so every app writes the part about its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.core.rows import digest_sql, table
from apps.policy.models import EmergencyException, FreezeWindow, Waiver


def verdict_facts_sql(release: str, environment: str) -> list[str]:
    """Digests of what the verdict reads of the policy (the release's waivers and
    emergency exceptions, its environment's freeze windows), as scalar
    subqueries: any change to them, approved or edited by any path, changes
    one of them."""
    return [
        digest_sql(
            f"{table(Waiver)} x WHERE x.release_id = {release}",
            ["id", "blocker_type", "blocker_id", "reason", "expires_at"]
            + ["approved_by_id", "requested_by_id", "declined_by_id"],
        ),
        digest_sql(
            f"{table(EmergencyException)} x WHERE x.release_id = {release}",
            ["id", "reason", "expires_at", "first_approver_id", "second_approver_id"],
        ),
        digest_sql(
            f"{table(FreezeWindow)} x WHERE x.environment_id = {environment}",
            ["id", "name", "reason", "cron", "time_zone", "starts_at", "ends_at"]
            + ["duration_minutes"],
        ),
    ]
