"""The maintenance page of an environment: current and past checklists."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import permissions
from apps.catalog.selectors import environment_get_for_user
from apps.maintenance import selectors, services
from apps.maintenance.forms import MaintenanceItemStateForm, PlanForm


@require_http_methods(["GET", "POST"])
@login_required
def environment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Checklists of the environment, newest first, overdue ones flagged.

    A lead's POST starts (or changes) the environment's maintenance plan; its
    first checklists are created at once.
    """
    environment = environment_get_for_user(request.user, pk)
    team = environment.service.team
    if request.method == "POST":
        permissions.require(request.user, "manage_probes", team)
        _save_plan(request, environment)
        return redirect("maintenance:environment", pk=environment.pk)
    now = timezone.now()
    checklists = selectors.checklists_for_environment(environment)
    for checklist in checklists:
        checklist.overdue = checklist.is_overdue(now)
    context = {
        "environment": environment,
        "plan": getattr(environment, "maintenance_plan", None),
        "checklists": checklists,
        "can_tick": permissions.can(request.user, "tick", team),
        "can_manage": permissions.can(request.user, "manage_probes", team),
        "templates": selectors.templates_with_maintenance(team),
        "members": team.memberships.select_related("user").order_by("user__username"),
    }
    return render(request, "maintenance/environment.html", context)


def _save_plan(request: HttpRequest, environment) -> None:
    team = environment.service.team
    form = PlanForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        template = selectors.maintenance_template_for(team, data["template"])
        assignee = User.objects.filter(
            pk=data["assignee"], memberships__team=team
        ).first()
        services.maintenance_plan_save(
            environment=environment,
            template=template,
            time_zone=data["time_zone"],
            assignee=assignee,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    services.maintenance_checklists_create_due()
    messages.success(request, "Maintenance plan saved.")


@require_POST
@login_required
def item_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a check done, skipped with a note, or open again."""
    item = selectors.item_get_for_user(request.user, pk)
    environment = item.checklist.plan.environment
    permissions.require(request.user, "tick", environment.service.team)
    form = MaintenanceItemStateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        services.maintenance_item_set_state(
            item=item, by=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, f"{item.text}: {' '.join(error.messages)}")
    return redirect("maintenance:environment", pk=environment.pk)
