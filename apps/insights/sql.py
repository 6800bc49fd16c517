"""The delivery metrics' six statements, written for PostgreSQL.

apps/insights/metrics.py asks these on PostgreSQL and the same questions of the
ORM elsewhere (SQLite, a bare checkout); tests/insights/test_metrics_sql.py
holds the two to the same answers. Written by hand because building and
compiling the six querysets cost more CPU than running them (docs/benchmarks.md,
the Insights row), and so that their text is the same from one request to the
next: psycopg prepares each once per connection and PostgreSQL plans it once.
The medians are PostgreSQL's percentile_cont, the probe flips a window function;
nothing per release comes back to Python but the deploys and their commits.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from apps.releases.models import Release

# In each statement, {releases} is the scope's production releases as `r`
# (its environment `e`, the environment's service `es`), {period} their deploys
# in the period, {scope} the filters of the scope (`_scope`).
RELEASES = (
    "releases_release r"
    " JOIN catalog_environment e ON e.id = r.environment_id"
    " JOIN catalog_service es ON es.id = e.service_id"
)
PERIOD = "r.deployed_at >= %(since)s AND r.deployed_at < %(until)s"

DEPLOYS = """
SELECT r.id, r.service_id, s.name, r.environment_id, e.name, r.version, r.kind,
  r.deploy_result, r.created_at, r.ready_at, r.deployed_at, r.deploy_finished_at,
  r.rolled_back_at, r.override_at,
  COALESCE(r.deploy_waivers, '[]') NOT IN ('[]', '{}', 'null'),
  (SELECT MIN(i.started_at) FROM incidents_incident i WHERE i.caused_by_id = r.id),
  (SELECT MIN(i.mitigated_at) FROM incidents_incident i WHERE i.caused_by_id = r.id),
  EXISTS (SELECT 1 FROM releases_release f WHERE f.remediates_id = r.id
    AND f.environment_id = r.environment_id AND f.kind = ANY(%(unplanned)s)
    AND f.deployed_at IS NOT NULL),
  (SELECT MIN(f.deploy_finished_at) FROM releases_release f WHERE f.remediates_id = r.id
    AND f.environment_id = r.environment_id AND f.kind = ANY(%(unplanned)s)
    AND f.deployed_at IS NOT NULL AND f.deploy_result = 'succeeded'),
  (SELECT MIN(w.finished_at) FROM policy_verificationwindow w
    WHERE w.release_id = r.id AND w.outcome = 'failed'),
  EXISTS (SELECT 1 FROM policy_verificationwindow w
    WHERE w.release_id = r.id AND w.outcome = 'passed'),
  EXISTS (SELECT 1 FROM incidents_incident i
    WHERE i.remediated_by_id = r.id AND i.user_facing)
FROM {releases} JOIN catalog_service s ON s.id = r.service_id
WHERE {scope} AND {period}
ORDER BY r.deployed_at, r.id
"""
DEPLOY_COLUMNS = (
    "id",
    "service_id",
    "service_name",
    "environment_id",
    "environment_name",
    "version",
    "kind",
    "deploy_result",
    "created_at",
    "ready_at",
    "deployed_at",
    "deploy_finished_at",
    "rolled_back_at",
    "override_at",
    "deploy_waivers",
    "incident_started",
    "incident_mitigated",
    "remediated",
    "remediation_finished",
    "verification_failed_at",
    "verification_passed",
    "fixes_user_incident",
)

COMMITS = """
SELECT c.release_id, c.committed_at
FROM releases_releasecommit c JOIN {releases} ON r.id = c.release_id
WHERE {scope} AND {period}
"""

# EXTRACT(EPOCH …) / 3600.0, as the ORM's version wrote it, so the medians are
# the same numbers to the last digit.
SIGNOFFS = """
SELECT so.role_name,
  percentile_cont(0.5) WITHIN GROUP
    (ORDER BY EXTRACT(EPOCH FROM (so.created_at - r.created_at)) / 3600.0),
  COUNT(*)
FROM signoffs_signoff so JOIN {releases} ON r.id = so.release_id
WHERE {scope} AND {period} AND so.decision = 'approve'
GROUP BY so.role_name ORDER BY so.role_name
"""

WINDOWS = """
SELECT COUNT(*), COUNT(*) FILTER (WHERE w.outcome = 'failed')
FROM policy_verificationwindow w JOIN {releases} ON r.id = w.release_id
WHERE {scope} AND {period} AND w.finished_at IS NOT NULL
"""

BLOCKERS = """
SELECT i.text,
  percentile_cont(0.5) WITHIN GROUP
    (ORDER BY EXTRACT(EPOCH FROM (i.changed_at - r.created_at)) / 3600.0) AS median,
  COUNT(*), COUNT(*) FILTER (WHERE i.state = 'blocked')
FROM releases_releaseitem i JOIN {releases} ON r.id = i.release_id
WHERE {scope} AND {period} AND i.required AND i.kind = 'check'
  AND i.phase = 'pre_deployment' AND i.changed_at IS NOT NULL
GROUP BY i.text ORDER BY median DESC, i.text LIMIT %(blockers)s
"""

FLIPS = """
SELECT config_id, MAX(name), COUNT(*),
  COUNT(*) FILTER (WHERE previous IS NOT NULL AND previous <> status)
FROM (
  SELECT p.config_id, p.name, p.status,
    LAG(p.status) OVER (PARTITION BY p.config_id ORDER BY p.created_at, p.id)
      AS previous
  FROM probes_proberesult p
  JOIN probes_probeconfig pc ON pc.id = p.config_id
  JOIN catalog_environment e ON e.id = pc.environment_id
  JOIN catalog_service es ON es.id = e.service_id
  WHERE {scope} AND p.created_at >= %(since)s AND p.created_at < %(until)s
    AND p.status IN ('pass', 'fail')
) flips
GROUP BY config_id ORDER BY 4 DESC, 2 LIMIT %(flakiest)s
"""


@dataclass
class Answers:
    """What the six statements return, in the shapes metrics.py reads."""

    deploys: list[dict]
    commits: list[tuple[int, datetime]]
    signoffs: list[tuple[str, float, int]]
    windows: tuple[int, int]
    blockers: list[tuple[str, float, int, int]]
    flips: list[tuple[int, str, int, int]]


def _scope(scope) -> tuple[str, dict]:
    """The WHERE clause of the scope's production environments, and its
    parameters. One text per combination of filters, so each is prepared."""
    clauses = ["e.production"]
    params: dict = {"since": scope.since, "until": scope.until}
    if scope.team_ids is not None:
        clauses.append("es.team_id = ANY(%(teams)s)")
        params["teams"] = list(scope.team_ids)
    if scope.service_id is not None:
        clauses.append("e.service_id = %(service)s")
        params["service"] = scope.service_id
    if scope.environment_id is not None:
        clauses.append("e.id = %(environment)s")
        params["environment"] = scope.environment_id
    return " AND ".join(clauses), params


def answers(scope, *, blockers: int, flakiest: int) -> Answers:
    """Ask the six statements for one scope."""
    where, params = _scope(scope)
    params |= {
        "unplanned": sorted(Release.UNPLANNED),
        "blockers": blockers,
        "flakiest": flakiest,
    }
    with connection.cursor() as cursor:

        def rows(statement: str) -> list[tuple]:
            text = (
                statement.replace("{releases}", RELEASES)
                .replace("{period}", PERIOD)
                .replace("{scope}", where)
            )
            cursor.execute(text, params)
            return cursor.fetchall()

        deploys = [dict(zip(DEPLOY_COLUMNS, row, strict=True)) for row in rows(DEPLOYS)]
        return Answers(
            deploys=deploys,
            commits=rows(COMMITS),
            signoffs=rows(SIGNOFFS),
            windows=rows(WINDOWS)[0],
            blockers=rows(BLOCKERS),
            flips=rows(FLIPS),
        )
