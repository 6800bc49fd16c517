"""Team settings: the team's contacts (in escalation order) and support
resources, added, changed and removed by its leads and admins through
apps.contacts.services."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions, teampages
from apps.accounts import selectors as team_selectors
from apps.contacts import selectors, services
from apps.contacts.forms import ContactForm, SupportResourceForm


@require_GET
@login_required
def team_contacts(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.team_get_for_user(request.user, slug)
    context = {
        "team": team,
        "contacts": selectors.contacts_for_team(team),
        "resources": selectors.resources_for_team(team),
        "can_manage": permissions.can(request.user, "manage_contacts", team),
        "nav": "team",
        "section": "contacts",
    }
    return render(request, "contacts/team.html", context)


def _edit(request, *, team, form, title: str, save: Callable[[dict], object]):
    return teampages.team_form_page(
        request, team=team, section="contacts", form=form, title=title, save=save
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_contacts", team)
    return _edit(
        request,
        team=team,
        form=ContactForm(request.POST or None, team=team),
        title=f"New contact of {team.name}",
        save=lambda data: services.contact_create(team=team, by=request.user, **data),
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get_for_user(request.user, pk)
    permissions.require(request.user, "manage_contacts", contact.team)
    form = ContactForm(request.POST or None, instance=contact, team=contact.team)
    return _edit(
        request,
        team=contact.team,
        form=form,
        title=f"Edit the contact {contact.role}",
        save=lambda data: services.contact_update(
            contact=contact, by=request.user, **data
        ),
    )


@require_POST
@login_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get_for_user(request.user, pk)
    services.contact_delete(contact=contact, by=request.user)
    return redirect("contacts:team", slug=contact.team.slug)


@require_http_methods(["GET", "POST"])
@login_required
def resource_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_contacts", team)
    return _edit(
        request,
        team=team,
        form=SupportResourceForm(request.POST or None, team=team),
        title=f"New support resource of {team.name}",
        save=lambda data: services.support_resource_create(
            team=team, by=request.user, **data
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = selectors.resource_get_for_user(request.user, pk)
    permissions.require(request.user, "manage_contacts", resource.team)
    form = SupportResourceForm(
        request.POST or None, instance=resource, team=resource.team
    )
    return _edit(
        request,
        team=resource.team,
        form=form,
        title=f"Edit {resource.label}",
        save=lambda data: services.support_resource_update(
            resource=resource, by=request.user, **data
        ),
    )


@require_POST
@login_required
def resource_delete(request: HttpRequest, pk: int) -> HttpResponse:
    resource = selectors.resource_get_for_user(request.user, pk)
    services.support_resource_delete(resource=resource, by=request.user)
    return redirect("contacts:team", slug=resource.team.slug)
