"""The maintenance pages of an environment: current and past checklists, and
the plan's editor and its removal for leads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions
from apps.catalog.selectors import environment_get_for_user
from apps.core.forms import edit_page
from apps.maintenance import selectors, services
from apps.maintenance.forms import MaintenanceItemStateForm, PlanForm


@require_GET
@login_required
def environment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Checklists of the environment, newest first, overdue ones flagged."""
    environment = environment_get_for_user(request.user, pk)
    team = environment.service.team
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
        "nav": "environments",
    }
    return render(request, "maintenance/environment.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or change the environment's recurring maintenance; leads only. Its
    first checklists are created at once."""
    environment = environment_get_for_user(request.user, pk)
    team = environment.service.team
    permissions.require(request.user, "manage_probes", team)
    plan = getattr(environment, "maintenance_plan", None)
    members = User.objects.filter(memberships__team=team).order_by("username")
    initial = {"time_zone": "UTC", "enabled": True}
    if plan is not None:
        initial = {
            "template": plan.template_id,
            "time_zone": plan.time_zone,
            "assignee": plan.assignee_id,
            "enabled": plan.enabled,
        }
    form = PlanForm(
        request.POST or None,
        initial=initial,
        templates=selectors.templates_with_maintenance(team),
        members=members,
    )

    def save(data: dict) -> None:
        assignee = members.filter(pk=data["assignee"]).first()
        services.maintenance_plan_save(
            environment=environment,
            template=selectors.maintenance_template_for(team, data["template"]),
            time_zone=data["time_zone"],
            assignee=assignee,
            enabled=data["enabled"],
            by=request.user,
        )
        services.maintenance_checklists_create_due()
        messages.success(request, "Maintenance plan saved.")

    done = reverse("maintenance:environment", args=[environment.pk])
    context = {
        "environment": environment,
        "plan": plan,
        "cancel": done,
        "nav": "environments",
    }
    return edit_page(
        request,
        form=form,
        save=save,
        done=done,
        template="maintenance/plan_form.html",
        context=context,
    )


@require_http_methods(["GET", "POST"])
@login_required
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then remove the environment's maintenance plan; refused
    (with the way out: pause it) once its checklists record work."""
    environment = environment_get_for_user(request.user, pk)
    permissions.require(request.user, "manage_probes", environment.service.team)
    plan = getattr(environment, "maintenance_plan", None)
    if plan is None:
        raise Http404("The environment has no maintenance plan.")
    refusal = ""
    if request.method == "POST":
        try:
            services.maintenance_plan_delete(plan=plan, by=request.user)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, "Maintenance plan deleted.")
            return redirect("maintenance:environment", pk=environment.pk)
    context = {
        "environment": environment,
        "plan": plan,
        "checklists": plan.checklists.count(),
        "refusal": refusal,
        "nav": "environments",
    }
    return render(request, "maintenance/plan_delete.html", context)


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
