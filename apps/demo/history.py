"""Six months of production history for the demo's two services, so the Insights
page has weeks to draw on `make run`.

The rows are written directly, in a few bulk inserts, and carry no audit
events: they are a backdrop for the charts, not a record anyone made, and the
seed must stay fast. The numbers come from a seeded generator, so every run
draws the same history.
"""

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Case, Value, When
from django.utils import timezone

from apps.catalog.models import Environment
from apps.checklists.models import ChecklistTemplate
from apps.incidents.models import Incident
from apps.policy.models import VerificationWindow
from apps.releases.models import Release, ReleaseCommit

WEEKS = 26
# Deploys a week, and how often one fails, per service: the storefront ships
# often with a few failures, search ships weekly and fails more.
PACE = {"storefront-api": (4, 0.12), "search": (1, 0.25)}


def history_seed(
    environments: list[Environment], template: ChecklistTemplate, lead: User
) -> int:
    """Write the history of each production environment that has none yet;
    returns how many releases it wrote."""
    rng = random.Random(22)
    now = timezone.now()
    written = 0
    for environment in environments:
        if Release.objects.filter(
            environment=environment, version__startswith="h"
        ).exists():
            continue
        written += _environment_history(environment, template, lead, rng, now)
    return written


def _environment_history(environment, template, lead, rng, now) -> int:
    per_week, fail_share = PACE.get(environment.service.slug, (2, 0.15))
    start = now - timedelta(weeks=WEEKS)
    moments: list[datetime] = []
    for week in range(WEEKS):
        for _ in range(max(0, per_week + rng.choice((-1, 0, 0, 1)))):
            offset = timedelta(days=rng.randrange(5), hours=rng.randrange(8, 18))
            moment = start + timedelta(weeks=week) + offset
            if moment < now - timedelta(hours=2):
                moments.append(moment)
    moments.sort()
    rows = []
    for number, deployed in enumerate(moments, 1):
        overridden = rng.random() < 0.1
        rows.append(
            Release(
                team=environment.service.team,
                service=environment.service,
                environment=environment,
                template=template,
                version=f"h{deployed:%Y.%m}.{number}",
                status=Release.Status.DEPLOYED,
                created_by=lead,
                ready_at=deployed - timedelta(hours=rng.randrange(1, 20)),
                deployed_at=deployed,
                deployed_by=lead,
                deploy_result=Release.DeployResult.SUCCEEDED,
                deploy_finished_at=deployed + timedelta(minutes=rng.randrange(3, 25)),
                override_at=deployed if overridden else None,
                override_by=lead if overridden else None,
                override_status=Release.Status.DEPLOYED if overridden else "",
                override_reason="Demo history: shipped past an open item."
                if overridden
                else "",
                deploy_waivers=[{"type": "probe", "id": "0", "waiver": 0}]
                if rng.random() < 0.1
                else [],
            )
        )
    releases = Release.objects.bulk_create(rows)
    commits, incidents, windows = [], [], []
    for release in releases:
        finished = release.deploy_finished_at
        for index in range(rng.randrange(0, 5)):
            hours = rng.choice((2, 5, 9, 20, 30, 48, 70, 120)) + index
            commits.append(
                ReleaseCommit(
                    release=release,
                    sha=f"{release.pk:08x}{index:04x}",
                    committed_at=finished - timedelta(hours=hours),
                )
            )
        risk = fail_share * (1.8 if release.override_at else 1.0)
        if rng.random() < risk:
            started = finished + timedelta(minutes=rng.randrange(10, 240))
            incidents.append(
                Incident(
                    team=release.team,
                    service=release.service,
                    title=f"Errors after {release.version}",
                    severity=rng.choice(("sev2", "sev3", "sev3", "sev4")),
                    started_at=started,
                    detected_at=started + timedelta(minutes=5),
                    mitigated_at=started + timedelta(minutes=rng.randrange(20, 600)),
                    resolved_at=started + timedelta(hours=rng.randrange(2, 30)),
                    caused_by=release,
                    source=Incident.Source.PAGE,
                    created_by=lead,
                )
            )
        elif rng.random() < 0.05:
            windows.append(
                VerificationWindow(
                    release=release,
                    interval_seconds=30,
                    duration_seconds=600,
                    outcome=VerificationWindow.Outcome.FAILED,
                    summary="Failed: error rate above the limit.",
                    started_at=finished,
                    ends_at=finished + timedelta(minutes=10),
                    finished_at=finished + timedelta(minutes=4),
                )
            )
    ReleaseCommit.objects.bulk_create(commits)
    Incident.objects.bulk_create(incidents)
    VerificationWindow.objects.bulk_create(windows)
    _remediations(releases, incidents, rng)
    Release.objects.filter(pk__in=[r.pk for r in releases]).update(
        created_at=_created_case(releases)
    )
    return len(releases)


def _remediations(releases: list[Release], incidents: list[Incident], rng) -> None:
    """The next deploy after an incident fixes it: a hotfix or a rollback."""
    by_time = sorted(releases, key=lambda r: r.deployed_at)
    for incident in incidents:
        fix = next((r for r in by_time if r.deployed_at > incident.started_at), None)
        if fix is None or fix.remediates_id:
            continue
        fix.kind = rng.choice((Release.Kind.HOTFIX, Release.Kind.ROLLBACK))
        fix.remediates = incident.caused_by
        incident.remediated_by = fix
        Release.objects.filter(pk=fix.pk).update(
            kind=fix.kind, remediates=fix.remediates
        )
        Incident.objects.filter(pk=incident.pk).update(remediated_by=fix)


def _created_case(releases: list[Release]):
    """Each release opened a day or two before it was ready."""
    return Case(
        *[When(pk=r.pk, then=Value(r.ready_at - timedelta(hours=30))) for r in releases]
    )
