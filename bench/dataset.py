"""The benchmark's data set: services, releases with the default checklist,
sign-offs, probe results and a valid audit chain, written in bulk.

`build(Scale())` writes the full scale of issue 11 (about 250,000 item rows and
200,000 audit events) in a few minutes; it is called once, and later runs reuse
the database when `existing()` finds the data. The tests build `Scale.tiny()`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from bench import support

BATCH = support.BATCH
PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account
VIEWER = "bench-lead"


@dataclass(frozen=True)
class Scale:
    services: int = 50
    releases: int = 2000
    signoffs: int = 6
    probed_releases: int = 100
    probes: int = 200
    audit_events: int = 200_000
    teams: int = 5

    @classmethod
    def tiny(cls) -> "Scale":
        return cls(
            services=2,
            releases=6,
            signoffs=6,
            probed_releases=2,
            probes=5,
            audit_events=50,
            teams=1,
        )


def existing() -> dict | None:
    """What a previous build left, or None when the database has no benchmark data."""
    from apps.releases.models import Release

    viewer = User.objects.filter(username=VIEWER).first()
    if viewer is None:
        return None
    releases = Release.objects.filter(team__memberships__user=viewer)
    return _summary(viewer) if releases.exists() else None


def production_flag() -> None:
    """Mark the data set's environments as production (they all are)."""
    from apps.catalog.models import Environment
    from apps.releases.models import Release

    Environment.objects.filter(name="production").update(production=True)
    Release.objects.filter(deployed_at__isnull=False, deploy_result="").update(
        deploy_result="succeeded"
    )


def _summary(viewer: User) -> dict:
    from apps.audit.models import AuditEvent
    from apps.probes.models import ProbeResult, ProbeRun
    from apps.releases.models import Release

    run = (
        ProbeRun.objects.filter(release__team__memberships__user=viewer)
        .order_by("-release__created_at")
        .first()
    )
    release = run.release
    item = release.items.filter(phase="pre_deployment", kind="check").first()
    return {
        "viewer": VIEWER,
        "password": PASSWORD,
        "release_id": release.pk,
        "item_id": item.pk,
        "items": release.items.count(),
        "signoffs": release.signoffs.count(),
        "probe_results": ProbeResult.objects.filter(run=run).count(),
        "releases": Release.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def _users(teams) -> User:
    from apps.accounts.models import Membership

    viewer = None
    for number, team in enumerate(teams):
        for role in ("lead", "engineer", "auditor"):
            name = VIEWER if (number, role) == (0, "lead") else f"bench-{role}-{number}"
            user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
            user.first_name = "Bench"
            user.save(update_fields=["first_name"])
            Membership.objects.create(team=team, user=user, role=role)
            viewer = viewer or user
    for number in range(6):
        name = f"bench-approver-{number}"
        user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        for team in teams:
            Membership.objects.create(team=team, user=user, role="engineer")
    return viewer


@transaction.atomic
def _releases(scale: Scale, template, teams) -> list:
    """Releases, oldest first; the newest are in progress, the rest deployed."""
    from apps.catalog.models import Environment, Service
    from apps.releases import services as release_services
    from apps.releases.models import Release, ReleaseItem

    services = Service.objects.bulk_create(
        Service(team=teams[n % len(teams)], name=f"Service {n:02d}", slug=f"svc-{n}")
        for n in range(scale.services)
    )
    environments = Environment.objects.bulk_create(
        Environment(
            service=service,
            name="production",
            base_url="http://127.0.0.1:9",
            production=True,
        )
        for service in services
    )
    roles = [
        {"key": role.key, "name": role.name} for role in template.signoff_roles.all()
    ]
    now = timezone.now()
    live = scale.probed_releases
    releases = []
    for n in range(scale.releases):
        environment = environments[n % len(environments)]
        age = timedelta(hours=(scale.releases - n) * 6)
        status = (
            Release.Status.IN_PROGRESS
            if n >= scale.releases - live
            else Release.Status.DEPLOYED
        )
        releases.append(
            Release(
                team_id=environment.service.team_id,
                service=environment.service,
                environment=environment,
                template=template,
                version=f"1.{n // 100}.{n % 100}",
                status=status,
                signoff_roles=roles,
                deployed_at=now - age if status == Release.Status.DEPLOYED else None,
                deploy_result="succeeded" if status == Release.Status.DEPLOYED else "",
            )
        )
    releases = Release.objects.bulk_create(releases, batch_size=BATCH)
    # created_at and updated_at are automatic: spread them over the past.
    for n, release in enumerate(releases):
        release.created_at = now - timedelta(hours=(scale.releases - n) * 6)
        release.updated_at = release.created_at
    Release.objects.bulk_update(releases, ["created_at", "updated_at"], BATCH)
    prototype = release_services._snapshot(releases[0], template)
    batch = []
    for n, release in enumerate(releases):
        for position, item in enumerate(prototype):
            state = "done" if (n * 7 + position) % 3 else "open"
            batch.append(_clone(item, release, state))
        if len(batch) >= BATCH:
            ReleaseItem.objects.bulk_create(batch)
            batch = []
    ReleaseItem.objects.bulk_create(batch)
    return releases


def _clone(item, release, state: str):
    from apps.releases.models import ReleaseItem

    fields = {
        f.attname: getattr(item, f.attname)
        for f in ReleaseItem._meta.concrete_fields
        if f.attname not in ("id", "release_id", "state")
    }
    return ReleaseItem(release_id=release.pk, state=state, **fields)


@transaction.atomic
def _signoffs(scale: Scale, releases) -> None:
    from apps.signoffs.models import SignOff

    approvers = list(User.objects.filter(username__startswith="bench-approver-"))
    batch = []
    for release in releases:
        for n, role in enumerate(release.signoff_roles[: scale.signoffs]):
            batch.append(
                SignOff(
                    release=release,
                    role_key=role["key"],
                    role_name=role["name"],
                    user=approvers[n % len(approvers)],
                    decision="approve",
                    comment="Looked at the evidence.",
                    evidence={"settled": [], "passing": []},
                )
            )
    SignOff.objects.bulk_create(batch, batch_size=BATCH)


@transaction.atomic
def _probes(scale: Scale, releases) -> None:
    from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun

    probed = releases[-scale.probed_releases :]
    configs: dict[int, list] = {}
    for release in probed:
        if release.environment_id in configs:
            continue
        configs[release.environment_id] = ProbeConfig.objects.bulk_create(
            ProbeConfig(
                environment_id=release.environment_id,
                name=f"probe-{n:03d}",
                kind="http",
                target=f"http://127.0.0.1:9/health/{n}",
            )
            for n in range(scale.probes)
        )
    now = timezone.now()
    runs = ProbeRun.objects.bulk_create(
        ProbeRun(
            release=release,
            environment_id=release.environment_id,
            status=ProbeRun.Status.PASSED,
            config_ids=[c.pk for c in configs[release.environment_id]],
            deadline=now,
            finished_at=now,
            passed=scale.probes,
        )
        for release in probed
    )
    batch = []
    for run in runs:
        for n, config in enumerate(configs[run.environment_id]):
            batch.append(
                ProbeResult(
                    run=run,
                    config=config,
                    name=config.name,
                    kind="http",
                    target=config.target,
                    status="warn" if n % 50 == 7 else "pass",
                    summary="HTTP 200 in 12 ms",
                    observed={"status": 200, "elapsed_ms": 12},
                    duration_ms=12.0,
                )
            )
    ProbeResult.objects.bulk_create(batch, batch_size=BATCH)


@transaction.atomic
def _audit(scale: Scale, releases, team_id: int) -> None:
    """A valid chain appended after whatever the chain holds now."""
    from apps.audit.models import AuditHead

    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    start = timezone.now() - timedelta(days=60)
    events = (
        support.audit_event(
            seq=head.seq + n + 1,
            n=n,
            created_at=start + timedelta(seconds=n * 20),
            team_id=releases[n % len(releases)].team_id,
            release_id=releases[n % len(releases)].pk,
            note="Checked against the runbook",
        )
        for n in range(scale.audit_events)
    )
    prev = support.append_chain(events, head.hash)
    AuditHead.objects.filter(pk=1).update(seq=head.seq + scale.audit_events, hash=prev)


def build(scale: Scale, log=print) -> dict:
    """Write the data set; returns what the scenarios need (ids, the viewer)."""
    import time

    from apps.accounts.models import Team
    from apps.checklists import services as checklists

    started = time.perf_counter()
    template = checklists.template_ensure_default()
    teams = [
        Team.objects.create(name=f"Bench team {n}", slug=f"bench-{n}")
        for n in range(scale.teams)
    ]
    viewer = _users(teams)
    releases = _releases(scale, template, teams)
    log(f"  releases and items: {time.perf_counter() - started:.1f} s")
    _signoffs(scale, releases)
    _probes(scale, releases)
    log(f"  sign-offs and probe results: {time.perf_counter() - started:.1f} s")
    _audit(scale, releases, teams[0].pk)
    log(f"  audit chain: {time.perf_counter() - started:.1f} s")
    return _summary(viewer)
