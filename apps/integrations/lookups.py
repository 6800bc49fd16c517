"""Finding a release without its id, as deploy platforms name it, and its answer."""

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts.permissions import team_ids_for
from apps.catalog.models import Environment, Service
from apps.readiness.readiness import compute_readiness
from apps.releases.models import Release


def _named(value: str) -> Q:
    """An id or a name, case-insensitive."""
    return Q(pk=int(value)) if value.isdigit() else Q(name__iexact=value)


def release_find_for_user(
    user: User,
    *,
    service: str,
    environment: str,
    version: str = "",
    sha: str = "",
) -> Release:
    """The live release of a service's environment for a version, or for a commit
    (a release whose gate request names it, or whose version is its short sha).

    404 when the caller's teams have none; the newest when a version was
    cancelled and made again.
    """
    environments = Environment.objects.filter(
        _named(environment), service__in=_services(user, service)
    )
    releases = Release.objects.select_related(
        "service", "environment", "team", "override_by"
    ).filter(environment__in=environments)
    if version:
        releases = releases.filter(version=version)
    else:
        sha = sha.lower()
        releases = releases.filter(
            Q(gate_request__sha__startswith=sha) | Q(version=sha[:7])
        )
    release = (
        releases.exclude(status=Release.Status.CANCELLED)
        .order_by("-created_at")
        .first()
        or releases.order_by("-created_at").first()
    )
    if release is None:
        raise Http404("No such release.")
    return release


def _services(user: User, service: str) -> "QuerySet[Service]":
    services = Service.objects.filter(_named(service))
    teams = team_ids_for(user)
    return services if teams is None else services.filter(team_id__in=teams)


def readiness_answer(release: Release) -> dict:
    """The release readiness endpoint's JSON: the verdict and any override."""
    return {**compute_readiness(release).as_dict(), "override": release.override}
