"""factory-boy factories, one per model that tests build directly."""

from datetime import timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from apps.accounts.models import Membership, Team
from apps.catalog.models import Environment, Service


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
