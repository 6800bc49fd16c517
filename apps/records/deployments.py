"""What is deployed where: each environment's current release, and its verdict then.

Reads shared by the deployments pages and `GET /api/v1/deployments/`. Every
function answers in a fixed number of queries, however many releases exist:
the current release of each environment is one correlated subquery, and the
waivers of all the releases shown are one more query.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import OuterRef, QuerySet, Subquery

from apps.accounts import permissions
from apps.catalog import selectors as catalog_selectors
from apps.catalog.models import Environment, Service
from apps.policy import selectors as policy_selectors
from apps.policy.models import Waiver
from apps.releases.models import Release

READY = "ready"
WAIVED = "waived"
OVERRIDE = "override"


@dataclass(frozen=True)
class Deployment:
    """A deployed release and how readiness stood when it went out.

    `verdict` is "override" when a lead deployed it (or marked it ready and
    deployed it) against the verdict, "waived" when it was ready only thanks to
    approved waivers, "ready" otherwise.
    """

    release: Release
    waivers: list[Waiver] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.release.overridden:
            return OVERRIDE
        return WAIVED if self.waivers else READY

    @property
    def verdict_label(self) -> str:
        if self.verdict == OVERRIDE:
            count = len(self.release.override_blockers)
            return f"Override of {count} blocker{'s' if count != 1 else ''}"
        if self.verdict == WAIVED:
            count = len(self.waivers)
            return f"Ready with {count} waiver{'s' if count != 1 else ''}"
        return "Ready"


@dataclass(frozen=True)
class Cell:
    """One environment of one service, and what is deployed there now (or None)."""

    environment: Environment
    deployment: Deployment | None


@dataclass
class GridRow:
    """A service and, per environment name of the grid, its cell (or None)."""

    service: Service
    columns: list[tuple[str, Cell | None]]


@dataclass
class Grid:
    """Services down, environment names across; a service without an
    environment of that name has None in its column."""

    names: list[str]
    rows: list[GridRow]


def _current_release_id() -> Subquery:
    newest = Release.objects.filter(
        environment_id=OuterRef("pk"), status=Release.Status.DEPLOYED
    ).order_by("-deployed_at", "-pk")
    return Subquery(newest.values("pk")[:1])


def environment_list_for_user(user: User) -> QuerySet[Environment]:
    """The user's teams' environments, each with `current_id`: the newest
    release deployed there that was not rolled back (or None)."""
    return (
        catalog_selectors.environments_for_user(user)
        .annotate(current_id=_current_release_id())
        .order_by("service__name", "pk")
    )


def service_get_for_user(user: User, pk: int) -> Service:
    """The service; 404 when it belongs to a team the user is not in."""
    return permissions.get_for_user(
        Service.objects.select_related("team"),
        user,
        pk,
        team_field="team_id",
        missing="No such service.",
    )


def deployments_many(releases: list[Release]) -> dict[int, Deployment]:
    """Each deployed release (deployed_at set) with its waivers, by release id."""
    waivers = policy_selectors.waivers_in_force_at_deploy_many(releases)
    return {
        release.pk: Deployment(release, waivers[release.pk])
        for release in releases
        if release.pk in waivers
    }


def cells(environments: list[Environment]) -> list[Cell]:
    """The environments, annotated by environment_list_for_user, with their
    current deployment: two queries whatever their number."""
    ids = [env.current_id for env in environments if env.current_id]
    releases = list(
        Release.objects.filter(pk__in=ids).select_related("deployed_by", "override_by")
    )
    found = deployments_many(releases)
    return [Cell(env, found.get(env.current_id)) for env in environments]


def grid_for_user(user: User) -> Grid:
    """Every service of the user's teams against every environment name."""
    environments = list(environment_list_for_user(user))
    names: list[str] = []
    for env in sorted(environments, key=lambda env: env.pk):
        if env.name not in names:
            names.append(env.name)
    by_service: dict[int, dict[str, Cell]] = {}
    services: dict[int, Service] = {}
    for cell in cells(environments):
        service = cell.environment.service
        services.setdefault(service.pk, service)
        by_service.setdefault(service.pk, {})[cell.environment.name] = cell
    rows = [
        GridRow(service, [(name, by_service[pk].get(name)) for name in names])
        for pk, service in services.items()
    ]
    return Grid(names=names, rows=rows)


def release_history(service: Service) -> QuerySet[Release]:
    """The service's releases, newest first, with what the history table shows."""
    return (
        Release.objects.filter(service=service)
        .select_related("environment", "deployed_by", "override_by", "created_by")
        .order_by("-created_at", "-pk")
    )
