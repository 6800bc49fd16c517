"""Hand-written SQL about sign-off eligibility and templates.

For the statements that stamp cached pages (apps.releases.stamps,
apps.readiness.stamps): one round trip each, so every app writes the part about
its own tables.

Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

from apps.checklists.models import ChecklistTemplate, SignOffEligibility
from apps.core.rows import table


def signer_rules_stats_sql(team: str) -> list[str]:
    """How many sign-off eligibility rules the team has, and their latest change:
    hand-written for the release page's stamp (apps.readiness.stamps)."""
    stat = f"(SELECT {{}} FROM {table(SignOffEligibility)} g WHERE g.team_id = {team})"
    return [stat.format("COUNT(*)"), stat.format("MAX(g.updated_at)")]


def creator_approval_sql(template: str) -> str:
    """The template's allow_creator_approval option, as a scalar subquery."""
    return (
        f"(SELECT t.allow_creator_approval FROM {table(ChecklistTemplate)} t"
        f"   WHERE t.id = {template})"
    )
