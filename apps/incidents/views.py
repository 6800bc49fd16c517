"""The incident pages: the list, a new incident, and changing one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts import permissions
from apps.core.forms import add_service_error
from apps.incidents import selectors, services
from apps.incidents.forms import IncidentForm
from apps.incidents.models import Incident

SHOWN = 100


@require_http_methods(["GET"])
@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The newest incidents of the user's teams."""
    incidents = selectors.incident_list_for_user(request.user)[:SHOWN]
    context = {
        "incidents": incidents,
        "can_record": permissions.may_somewhere(request.user, "record_incident"),
        "nav": "incidents",
    }
    return render(request, "incidents/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    """Record an incident (leads and engineers)."""
    if not permissions.may_somewhere(request.user, "record_incident"):
        raise PermissionDenied("Your role does not allow recording incidents.")
    form = IncidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Incident “{incident.title}” recorded.")
            return redirect("incidents:list")
    context = {"form": form, "incident": None, "nav": "incidents"}
    return render(request, "incidents/form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """An incident; leads and engineers change it here."""
    incident = selectors.incident_get_for_user(request.user, pk)
    can_record = permissions.can(request.user, "record_incident", incident.team)
    if request.method == "POST":
        permissions.require(request.user, "record_incident", incident.team)
    initial = {name: getattr(incident, name) for name in services.FIELDS} | {
        "caused_by": incident.caused_by_id,
        "remediated_by": incident.remediated_by_id,
    }
    form = IncidentForm(
        request.POST or None, user=request.user, incident=incident, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                incident=incident, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Incident saved.")
            return redirect("incidents:list")
    context = {
        "form": form,
        "incident": incident,
        "can_record": can_record,
        "nav": "incidents",
        "severities": Incident.Severity,
    }
    return render(request, "incidents/form.html", context)
