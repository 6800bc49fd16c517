"""Team settings: the team's services and their environments, added and
changed by its leads and admins through apps.catalog.services."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts import permissions, teampages
from apps.accounts import selectors as team_selectors
from apps.catalog import selectors, services
from apps.catalog.forms import EnvironmentForm, ServiceForm


@require_GET
@login_required
def team_services(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's services, each with its environments and what they link to."""
    team = team_selectors.team_get_for_user(request.user, slug)
    context = {
        "team": team,
        "services": selectors.service_list_for_team(team),
        "can_manage": permissions.can(request.user, "manage_catalog", team),
        "nav": "team",
        "section": "services",
    }
    return render(request, "catalog/team.html", context)


def _edit(request, *, team, form, title: str, save: Callable[[dict], object]):
    return teampages.team_form_page(
        request, team=team, section="services", form=form, title=title, save=save
    )


@require_http_methods(["GET", "POST"])
@login_required
def service_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_catalog", team)
    return _edit(
        request,
        team=team,
        form=ServiceForm(request.POST or None),
        title=f"New service of {team.name}",
        save=lambda data: services.service_create(team=team, by=request.user, **data),
    )


@require_http_methods(["GET", "POST"])
@login_required
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = selectors.service_get_for_user(request.user, pk)
    permissions.require(request.user, "manage_catalog", service.team)
    initial = {name: getattr(service, name) for name in services.SERVICE_FIELDS}
    return _edit(
        request,
        team=service.team,
        form=ServiceForm(request.POST or None, initial=initial),
        title=f"Edit {service.name}",
        save=lambda data: services.service_update(
            service=service, by=request.user, **data
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def environment_new(request: HttpRequest, pk: int) -> HttpResponse:
    service = selectors.service_get_for_user(request.user, pk)
    permissions.require(request.user, "manage_catalog", service.team)
    return _edit(
        request,
        team=service.team,
        form=EnvironmentForm(request.POST or None),
        title=f"New environment of {service.name}",
        save=lambda data: services.environment_create(
            service=service, by=request.user, **data
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def environment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    environment = selectors.environment_get_for_user(request.user, pk)
    team = environment.service.team
    permissions.require(request.user, "manage_catalog", team)
    initial = {name: getattr(environment, name) for name in services.ENVIRONMENT_FIELDS}
    return _edit(
        request,
        team=team,
        form=EnvironmentForm(request.POST or None, initial=initial),
        title=f"Edit {environment.service.name} / {environment.name}",
        save=lambda data: services.environment_update(
            environment=environment, by=request.user, **data
        ),
    )
