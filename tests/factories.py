"""factory-boy factories, one per model that tests build directly."""

from datetime import timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from apps.accounts.models import Membership, Team
from apps.catalog.models import Environment, Service
from apps.policy.models import Waiver
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases.models import Release


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ENGINEER


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment

    service = factory.SubFactory(ServiceFactory)
    name = "staging"
    base_url = "http://127.0.0.1:9"


def member(team: Team, role: str, **fields) -> User:
    """A new user holding `role` in `team`."""
    user = UserFactory(**fields)
    MembershipFactory(team=team, user=user, role=role)
    return user


class VerificationWindowFactory(factory.django.DjangoModelFactory):
    """A post-deploy verification window that has finished inconclusive."""

    class Meta:
        model = "policy.VerificationWindow"

    config_ids = factory.LazyFunction(list)
    interval_seconds = 30
    duration_seconds = 600
    outcome = "inconclusive"
    summary = factory.LazyAttribute(lambda w: f"{w.outcome.capitalize()}: measured.")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    ends_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(
        lambda w: None if w.outcome == "running" else w.ends_at
    )


def maintenance_check(environment: Environment, template, by: User):
    """The environment's maintenance plan from `template`, its current checklists,
    and the first check of them (apps.maintenance services, audited)."""
    from apps.maintenance import services
    from apps.maintenance.models import MaintenanceItem

    services.maintenance_plan_save(environment=environment, template=template, by=by)
    services.maintenance_checklists_create_due()
    return MaintenanceItem.objects.filter(
        checklist__plan__environment=environment
    ).first()


def weekly_rotation(team: Team, by: User, members: list[User]):
    """A team's rotation in UTC, Mondays 09:00 from Monday 23 March 2026."""
    from datetime import date, time

    from apps.oncall import services

    return services.rotation_save(
        team=team,
        by=by,
        time_zone="UTC",
        handover_weekday=0,
        handover_time=time(9, 0),
        starts_on=date(2026, 3, 23),
        members=members,
    )


def deployed(
    release: Release, by: User, *, hours_ago: float = 0, override: str = ""
) -> Release:
    """Mark a release deployed in place, for pages that only read what is stored;
    with `override`, as a lead's override of one open item, for that reason."""
    at = timezone.now() - timedelta(hours=hours_ago)
    fields = {}
    if override:
        fields = {
            "override_status": Release.Status.DEPLOYED,
            "override_by": by,
            "override_at": at,
            "override_reason": override,
            "override_blockers": [{"type": "item", "id": "1", "text": "Backups"}],
        }
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.DEPLOYED, deployed_at=at, deployed_by=by, **fields
    )
    release.refresh_from_db()
    return release


def waiver_approved(
    release: Release,
    *,
    label: str,
    requested_by: User,
    approved_by: User,
    approved_hours_ago: float = 1,
) -> Waiver:
    """An approved waiver of a probe blocker, expiring in three days."""
    now = timezone.now()
    return Waiver.objects.create(
        release=release,
        blocker_type=Waiver.BlockerType.PROBE,
        blocker_id="7",
        label=label,
        reason="Renewal booked for Monday",
        requested_by=requested_by,
        approved_by=approved_by,
        approved_at=now - timedelta(hours=approved_hours_ago),
        expires_at=now + timedelta(days=3),
    )


def probe_evidence(release: Release, by: User, *, status: str) -> ProbeResult:
    """A finished probe run of the release with one result of `status`
    (pass or fail) for a new "health endpoint" configuration."""
    config = ProbeConfig.objects.create(
        environment=release.environment,
        name="health endpoint",
        kind="http",
        target="http://127.0.0.1:9/health",
    )
    passed = status == ProbeResult.Status.PASS
    run = ProbeRun.objects.create(
        release=release,
        environment=release.environment,
        status=ProbeRun.Status.PASSED if passed else ProbeRun.Status.FAILED,
        started_by=by,
        config_ids=[config.pk],
        deadline=timezone.now() + timedelta(minutes=1),
        finished_at=timezone.now(),
        passed=int(passed),
        failed=int(not passed),
    )
    return ProbeResult.objects.create(
        run=run,
        config=config,
        name="health endpoint",
        kind="http",
        target=config.target,
        status=status,
        summary="200 OK in 12 ms" if passed else "503 Service Unavailable",
        observed={"status_code": 200 if passed else 503, "elapsed_ms": 12},
        duration_ms=12.5,
    )


def release_open(environment: Environment, template, by: User, version: str) -> Release:
    """A release of the environment's service opened through the service."""
    from apps.releases import services

    return services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version=version,
        by=by,
    )


def shipped(environment: Environment, template, by: User, version: str, at, **fields):
    """A release of the environment stored as deployed at `at` (succeeded unless
    `deploy_result` says otherwise), for the delivery metrics, which only read
    what is stored; `fields` set the rest as stored."""
    fields.setdefault("status", Release.Status.DEPLOYED)
    fields.setdefault("deploy_result", Release.DeployResult.SUCCEEDED)
    return Release.objects.create(
        team=environment.service.team,
        service=environment.service,
        environment=environment,
        template=template,
        version=version,
        deployed_at=at,
        deployed_by=by,
        created_by=by,
        **fields,
    )
