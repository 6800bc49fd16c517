"""The delivery metrics (the five DORA keys and the readiness metrics) of a scope.

Six queries whatever the number of releases: one for the production deploys
of the period with every fact a metric needs (subqueries per row, in the
database), one for their commits, one each for sign-offs, blocking items,
verification windows and probe flips. On PostgreSQL they are the hand-written
statements of apps/insights/sql.py (medians by percentile_cont, flips by a
window function); elsewhere (SQLite) the same questions go through the ORM and
the medians are worked out here (`_answers_orm`). docs/metrics.md gives each
formula; apps/insights/stats.py does the arithmetic.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from apps.incidents.models import Incident
from apps.insights import sql, stats
from apps.policy.models import VerificationWindow
from apps.probes.models import ProbeConfig, ProbeResult
from apps.releases.models import Release, ReleaseCommit, ReleaseItem
from apps.signoffs.models import SignOff

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
LONGEST_BLOCKERS = 5
FLAKIEST = 10


@dataclass(frozen=True)
class Scope:
    """Which deploys count: production environments of these teams (None: all),
    optionally one service and one environment, deployed in [since, until)."""

    since: datetime
    until: datetime
    team_ids: list[int] | None = None
    service_id: int | None = None
    environment_id: int | None = None


@dataclass
class Deploy:
    """One production deploy of the period, with its outcome worked out."""

    id: int
    service_id: int
    service: str
    environment_id: int
    environment: str
    version: str
    kind: str
    result: str
    created_at: datetime
    ready_at: datetime | None
    deployed_at: datetime
    finished_at: datetime
    overridden: bool
    waived: bool
    failed_because: list[str] = field(default_factory=list)
    failure_start: datetime | None = None
    start_estimated: bool = False
    recovered_at: datetime | None = None
    rework: bool = False
    verification: str = ""

    @property
    def succeeded(self) -> bool:
        return self.result == Release.DeployResult.SUCCEEDED

    @property
    def failed(self) -> bool:
        return bool(self.failed_because)

    @property
    def fully_ready(self) -> bool:
        return not (self.overridden or self.waived)


def _first(queryset: QuerySet, value: str) -> Subquery:
    return Subquery(queryset.order_by(value).values(value)[:1])


def production_deploys(scope: Scope) -> QuerySet[Release]:
    """The production releases deployed in the scope's period."""
    releases = Release.objects.filter(
        deployed_at__gte=scope.since, deployed_at__lt=scope.until
    )
    return _in_scope(releases, scope, "environment__")


def _in_scope(queryset: QuerySet, scope: Scope, environment: str) -> QuerySet:
    """Rows of the scope's production environments; `environment` is the path
    from a row to its environment ("environment__")."""
    queryset = queryset.filter(**{f"{environment}production": True})
    for lookup, value in (
        ("service__team_id__in", scope.team_ids),
        ("service_id", scope.service_id),
        ("id", scope.environment_id),
    ):
        if value is not None:
            queryset = queryset.filter(**{f"{environment}{lookup}": value})
    return queryset


def _deploy_rows(scope: Scope) -> list[dict]:
    """One query: each deploy and what made it fail, and when it recovered."""
    caused = Incident.objects.filter(caused_by=OuterRef("pk"))
    # A fix counts where it shipped: a hotfix deployed to staging first does not
    # fail the production deploy until it reaches production too.
    remediations = Release.objects.filter(
        remediates=OuterRef("pk"),
        environment=OuterRef("environment"),
        kind__in=Release.UNPLANNED,
        deployed_at__isnull=False,
    )
    windows = VerificationWindow.objects.filter(release=OuterRef("pk"))
    rows = (
        production_deploys(scope)
        .annotate(
            incident_started=_first(caused, "started_at"),
            incident_mitigated=_first(
                caused.filter(mitigated_at__isnull=False), "mitigated_at"
            ),
            remediated=Exists(remediations),
            remediation_finished=_first(
                remediations.filter(
                    deploy_result=Release.DeployResult.SUCCEEDED,
                    deploy_finished_at__isnull=False,
                ),
                "deploy_finished_at",
            ),
            verification_failed_at=_first(
                windows.filter(outcome=VerificationWindow.Outcome.FAILED),
                "finished_at",
            ),
            verification_passed=Exists(
                windows.filter(outcome=VerificationWindow.Outcome.PASSED)
            ),
            fixes_user_incident=Exists(
                Incident.objects.filter(remediated_by=OuterRef("pk"), user_facing=True)
            ),
            service_name=F("service__name"),
            environment_name=F("environment__name"),
        )
        .order_by("deployed_at", "id")
        .values(
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
    )
    return list(rows)


def _deploy(row: dict) -> Deploy:
    deploy = Deploy(
        id=row["id"],
        service_id=row["service_id"],
        service=row["service_name"],
        environment_id=row["environment_id"],
        environment=row["environment_name"],
        version=row["version"],
        kind=row["kind"],
        # A deploy recorded before results were kept was a deploy that happened.
        result=row["deploy_result"] or Release.DeployResult.SUCCEEDED,
        created_at=row["created_at"],
        ready_at=row["ready_at"],
        deployed_at=row["deployed_at"],
        finished_at=row["deploy_finished_at"] or row["deployed_at"],
        overridden=row["override_at"] is not None,
        waived=bool(row["deploy_waivers"]),
    )
    if row["rolled_back_at"]:
        deploy.failed_because.append("rolled_back")
    if row["remediated"]:
        deploy.failed_because.append("remediated")
    if row["incident_started"]:
        deploy.failed_because.append("incident")
    if row["verification_failed_at"]:
        deploy.failed_because.append("verification")
    deploy.verification = (
        "failed"
        if row["verification_failed_at"]
        else "passed"
        if row["verification_passed"]
        else ""
    )
    if deploy.failed:
        start = row["incident_started"] or row["verification_failed_at"]
        deploy.start_estimated = start is None
        deploy.failure_start = start or deploy.finished_at
        ends = [
            row["rolled_back_at"],
            row["remediation_finished"],
            row["incident_mitigated"],
        ]
        ends = [end for end in ends if end is not None]
        deploy.recovered_at = min(ends) if ends else None
    deploy.rework = row["kind"] in Release.UNPLANNED and row["fixes_user_incident"]
    return deploy


def _lead_times(
    commits: list[tuple[int, datetime]], deploys: list[Deploy]
) -> dict[int, list[float]]:
    """Hours from each commit to the successful deploy that carried it, by deploy."""
    by_id = {d.id: d for d in deploys if d.succeeded}
    samples: dict[int, list[float]] = defaultdict(list)
    for release_id, committed_at in commits:
        deploy = by_id.get(release_id)
        if deploy is not None:
            samples[release_id].append(
                max(0.0, stats.hours(deploy.finished_at - committed_at))
            )
    return samples


def _series(scope: Scope, deploys: list[Deploy], lead: dict[int, list[float]]):
    """The weekly series of each key, weeks starting Monday 00:00 UTC."""
    weeks = stats.weeks(scope.since, scope.until)
    by_week: dict[datetime, list[Deploy]] = defaultdict(list)
    for deploy in deploys:
        by_week[stats.week_start(deploy.deployed_at)].append(deploy)
    rows = []
    for week in weeks:
        found = by_week.get(week, [])
        good = [d for d in found if d.succeeded]
        failed = [d for d in good if d.failed]
        lead_hours = [h for d in good for h in lead.get(d.id, [])]
        recovered = [
            stats.hours(d.recovered_at - d.failure_start)
            for d in failed
            if d.recovered_at is not None
        ]
        rows.append(
            {
                "week": week.date().isoformat(),
                "deploys": len(good),
                "deploy_days": len({d.deployed_at.date() for d in good}),
                "lead_time_median_hours": stats.percentile(lead_hours, 0.5),
                "lead_time_samples": len(lead_hours),
                "failed": len(failed),
                "change_fail_rate": stats.ratio(len(failed), len(good)),
                "recovery_median_hours": stats.percentile(
                    [max(0.0, h) for h in recovered], 0.5
                ),
                "recoveries": len(recovered),
                "rework": sum(d.rework for d in found),
                "rework_rate": stats.ratio(sum(d.rework for d in found), len(found)),
            }
        )
    return rows


def _keys(scope: Scope, deploys: list[Deploy], lead: dict[int, list[float]]) -> dict:
    """The five keys of one set of deploys."""
    days = (scope.until - scope.since) / DAY
    good = [d for d in deploys if d.succeeded]
    gaps = [
        stats.hours(b.deployed_at - a.deployed_at)
        for a, b in zip(good, good[1:], strict=False)
    ]
    lead_hours = [h for d in good for h in lead.get(d.id, [])]
    first_commit = [max(lead[d.id]) for d in good if lead.get(d.id)]
    failed = [d for d in good if d.failed]
    recovered = [d for d in failed if d.recovered_at is not None]
    recovery = [
        max(0.0, stats.hours(d.recovered_at - d.failure_start)) for d in recovered
    ]
    reasons: dict[str, int] = defaultdict(int)
    for deploy in failed:
        for reason in deploy.failed_because:
            reasons[reason] += 1
    rework = [d for d in deploys if d.rework]
    return {
        "deployment_frequency": {
            "value": len(good) / days if days else None,
            "unit": "deploys per day",
            "numerator": len(good),
            "denominator": days,
            "sample_size": len(good),
            "deployment_days_per_week": len({d.deployed_at.date() for d in good})
            / (days / 7)
            if days
            else None,
            "median_hours_between_deploys": stats.percentile(gaps, 0.5),
            "not_succeeded": len(deploys) - len(good),
        },
        "change_lead_time": {
            "value": stats.percentile(lead_hours, 0.5),
            "unit": "hours",
            **stats.summary(lead_hours),
            "first_commit": {
                **stats.summary(first_commit),
                "fallback": True,
                "note": "From each deploy's first commit only.",
            },
            "deploys_without_commits": sum(1 for d in good if not lead.get(d.id)),
        },
        "change_fail_rate": {
            "value": stats.ratio(len(failed), len(good)),
            "numerator": len(failed),
            "denominator": len(good),
            "sample_size": len(good),
            "failed_because": dict(sorted(reasons.items())),
        },
        "recovery_time": {
            "value": stats.percentile(recovery, 0.5),
            "unit": "hours",
            **stats.summary(recovery),
            "estimated": sum(1 for d in recovered if d.start_estimated),
            "unrecovered": len(failed) - len(recovered),
        },
        "rework_rate": {
            "value": stats.ratio(len(rework), len(deploys)),
            "numerator": len(rework),
            "denominator": len(deploys),
            "sample_size": len(deploys),
        },
    }


def _fail_split(deploys: list[Deploy]) -> dict:
    """Change fail rate of fully ready deploys against those shipped with an
    override or waivers, with the counts."""
    good = [d for d in deploys if d.succeeded]
    split = {}
    for name, group in (
        ("fully_ready", [d for d in good if d.fully_ready]),
        ("override_or_waivers", [d for d in good if not d.fully_ready]),
    ):
        failed = sum(d.failed for d in group)
        split[name] = {
            "value": stats.ratio(failed, len(group)),
            "numerator": failed,
            "denominator": len(group),
        }
    return split


def _readiness(deploys: list[Deploy], answers: sql.Answers) -> dict:
    """The readiness metrics of the deploys: the gate's waits and outcomes."""
    good = [d for d in deploys if d.succeeded]
    to_ready = [stats.hours(d.ready_at - d.created_at) for d in deploys if d.ready_at]
    gate_wait = [
        max(0.0, stats.hours(d.deployed_at - d.ready_at))
        for d in deploys
        if d.ready_at and d.ready_at <= d.deployed_at
    ]
    finished, failed_windows = answers.windows
    share = {
        name: {
            "value": stats.ratio(count, len(good)),
            "numerator": count,
            "denominator": len(good),
        }
        for name, count in (
            ("override", sum(d.overridden for d in good)),
            ("waivers", sum(d.waived for d in good)),
            ("emergency", sum(d.kind == Release.Kind.EMERGENCY for d in good)),
        )
    }
    return {
        "created_to_ready": {"unit": "hours", **stats.summary(to_ready)},
        "ready_to_deployed": {"unit": "hours", **stats.summary(gate_wait)},
        "signoff_latency": {
            role: {"median_hours": median, "sample_size": n}
            for role, median, n in answers.signoffs
        },
        "share": share,
        "verification_failure_rate": {
            "value": stats.ratio(failed_windows, finished),
            "numerator": failed_windows,
            "denominator": finished,
        },
        "longest_blocking_items": [
            {
                "text": text,
                "median_hours": median,
                "sample_size": n,
                "still_blocked": blocked,
            }
            for text, median, n, blocked in answers.blockers
        ],
        "probe_flakiness": [
            {"probe": config_id, "name": name, "results": runs, "flips": flips}
            for config_id, name, runs, flips in answers.flips
        ],
        "change_fail_rate_by_readiness": _fail_split(deploys),
    }


def _answers(scope: Scope) -> sql.Answers:
    """The six queries' answers: by hand-written SQL on PostgreSQL, by the ORM
    elsewhere."""
    if connection.vendor == "postgresql":
        return sql.answers(scope, blockers=LONGEST_BLOCKERS, flakiest=FLAKIEST)
    return _answers_orm(scope)


def _answers_orm(scope: Scope) -> sql.Answers:
    """The same answers through the ORM, for databases without percentile_cont
    (SQLite): the medians are worked out here from the rows."""
    deploys = production_deploys(scope).order_by().values("id")
    commits = (
        ReleaseCommit.objects.filter(release__in=deploys)
        .order_by()
        .values_list("release_id", "committed_at")
    )
    latency: dict[str, list[float]] = defaultdict(list)
    for role, signed, created in (
        SignOff.objects.filter(release__in=deploys, decision=SignOff.Decision.APPROVE)
        .order_by()
        .values_list("role_name", "created_at", "release__created_at")
    ):
        latency[role].append(stats.hours(signed - created))
    windows = VerificationWindow.objects.filter(
        release__in=deploys, finished_at__isnull=False
    ).aggregate(
        finished=Count("id"),
        failed=Count("id", filter=Q(outcome=VerificationWindow.Outcome.FAILED)),
    )
    items: dict[str, list[float]] = defaultdict(list)
    blocked: dict[str, int] = defaultdict(int)
    for text, changed, created, state in (
        ReleaseItem.objects.filter(
            release__in=deploys,
            required=True,
            kind=ReleaseItem.Kind.CHECK,
            phase="pre_deployment",
            changed_at__isnull=False,
        )
        .order_by()
        .values_list("text", "changed_at", "release__created_at", "state")
    ):
        items[text].append(stats.hours(changed - created))
        blocked[text] += state == ReleaseItem.State.BLOCKED
    blockers = sorted(
        (
            (text, stats.percentile(hours, 0.5), len(hours), blocked[text])
            for text, hours in items.items()
        ),
        key=lambda row: (-row[1], row[0]),
    )
    return sql.Answers(
        deploys=_deploy_rows(scope),
        commits=list(commits),
        signoffs=[
            (role, stats.percentile(hours, 0.5), len(hours))
            for role, hours in sorted(latency.items())
        ],
        windows=(windows["finished"], windows["failed"]),
        blockers=blockers[:LONGEST_BLOCKERS],
        flips=_probe_flips(scope),
    )


def _probe_flips(scope: Scope) -> list[tuple]:
    """Pass↔fail flips per probe of the scope's production environments: the
    FLAKIEST probes, most flips first."""
    configs = _in_scope(ProbeConfig.objects.all(), scope, "environment__")
    results = ProbeResult.objects.filter(
        config__in=configs,
        created_at__gte=scope.since,
        created_at__lt=scope.until,
        status__in=("pass", "fail"),
    ).order_by()  # the model's ordering would join and sort the runs
    results = results.values("config_id", "name", "status", "created_at", "id")
    try:
        inner, params = results.query.sql_with_params()
    except EmptyResultSet:  # a user of no team: no probes
        return []
    # Django cannot aggregate over a window function: one plain statement.
    statement = (
        "SELECT config_id, MAX(name), COUNT(*),"  # noqa: S608 (built by the ORM)
        " COUNT(*) FILTER (WHERE previous IS NOT NULL AND previous <> status)"
        " FROM (SELECT r.config_id, r.name, r.status, LAG(r.status) OVER"
        " (PARTITION BY r.config_id ORDER BY r.created_at, r.id) AS previous"
        f" FROM ({inner}) r) flips GROUP BY config_id ORDER BY 4 DESC, 2"
        f" LIMIT {FLAKIEST}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def delivery_metrics(scope: Scope) -> dict:
    """Every metric of the scope: the five keys for all its deploys, their weekly
    series, the same keys per service and environment with their spread, and
    the readiness metrics."""
    answers = _answers(scope)
    deploys = [_deploy(row) for row in answers.deploys]
    lead = _lead_times(answers.commits, deploys)
    keys = _keys(scope, deploys, lead)
    series = _series(scope, deploys, lead)
    for name, column in (
        ("deployment_frequency", ("deploys", "deploy_days")),
        ("change_lead_time", ("lead_time_median_hours", "lead_time_samples")),
        ("change_fail_rate", ("change_fail_rate", "failed", "deploys")),
        ("recovery_time", ("recovery_median_hours", "recoveries")),
        ("rework_rate", ("rework_rate", "rework")),
    ):
        keys[name]["series"] = [
            {"week": row["week"], **{c: row[c] for c in column}} for row in series
        ]
    groups: dict[tuple[int, int], list[Deploy]] = defaultdict(list)
    for deploy in deploys:
        groups[(deploy.service_id, deploy.environment_id)].append(deploy)
    services = []
    for group in groups.values():
        first = group[0]
        own = _keys(scope, group, lead)
        services.append(
            {
                "service": first.service_id,
                "service_name": first.service,
                "environment": first.environment_id,
                "environment_name": first.environment,
                **{name: own[name]["value"] for name in own},
                "change_lead_time_p75": own["change_lead_time"]["p75"],
                "change_lead_time_p90": own["change_lead_time"]["p90"],
                "commits": own["change_lead_time"]["sample_size"],
                "deploys": own["change_fail_rate"]["denominator"],
            }
        )
    services.sort(key=lambda s: (s["service_name"], s["environment_name"]))
    return {
        "since": scope.since.isoformat(),
        "until": scope.until.isoformat(),
        **keys,
        "readiness": _readiness(deploys, answers),
        "by_service": services,
        "spread": {
            name: stats.spread(s[name] for s in services)
            for name in (
                "deployment_frequency",
                "change_lead_time",
                "change_fail_rate",
                "recovery_time",
                "rework_rate",
            )
        },
    }
