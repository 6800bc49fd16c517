"""factory-boy factories, one per model that tests build directly."""

import factory
from django.contrib.auth.models import User

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
