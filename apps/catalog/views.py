"""Environment settings pages: environments and their probe configurations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions
from apps.catalog.forms import ProbeConfigForm
from apps.catalog.models import Environment
from apps.catalog.selectors import environment_get_for_user, environments_for_user
from apps.checklists.models import TemplateItem
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.probes import services as probe_services
from apps.probes.selectors import config_get_for_user


def _items_for(environment: Environment) -> QuerySet[TemplateItem]:
    team = environment.service.team_id
    return (
        TemplateItem.objects.filter(probe_kind__gt="")
        .filter(
            Q(phase__template__team__isnull=True) | Q(phase__template__team_id=team)
        )
        .select_related("phase__template")
        .order_by("phase__template__name", "-phase__template__version", "position")
    )


@login_required
@require_GET
def environment_list(request: HttpRequest) -> HttpResponse:
    environments = environments_for_user(request.user).annotate(
        probe_count=Count("probe_configs")
    )
    context = {"environments": environments, "nav": "environments"}
    return render(request, "catalog/environment_list.html", context)


@login_required
@require_GET
def environment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    environment = environment_get_for_user(request.user, pk)
    team = environment.service.team
    configs = environment.probe_configs.annotate(verifies_count=Count("verifies"))
    context = {
        "environment": environment,
        "configs": configs,
        "can_manage": permissions.can(request.user, "manage_probes", team),
        "can_test": permissions.can(request.user, "run_probes", team),
        "nav": "environments",
    }
    return render(request, "catalog/environment_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def probe_config_edit(
    request: HttpRequest, environment_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    """Add a probe to an environment, or change one; secrets are never shown."""
    config = config_get_for_user(request.user, pk) if pk else None
    environment = (
        config.environment
        if config
        else environment_get_for_user(request.user, environment_pk)
    )
    permissions.require(request.user, "manage_probes", environment.service.team)
    initial = {}
    if config:
        initial = {
            "name": config.name,
            "kind": config.kind,
            "target": config.target,
            "options": "\n".join(f"{k}={v}" for k, v in config.options.items()),
            "timeout": config.timeout,
            "enabled": config.enabled,
            "secret_env": config.secret_env,
            "verifies": list(config.verifies.values_list("pk", flat=True)),
        }
    form = ProbeConfigForm(
        request.POST or None, initial=initial, items=_items_for(environment)
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = probe_services.probe_config_save(
                environment=environment,
                by=request.user,
                config=config,
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Saved the probe “{saved.name}”.")
            return redirect("catalog:environment", pk=environment.pk)
    context = {
        "environment": environment,
        "config": config,
        "form": form,
        "nav": "environments",
    }
    return render(request, "catalog/probe_config_form.html", context)


@require_POST
@login_required
def probe_config_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one probe now and show its result in place; nothing is recorded."""
    config = config_get_for_user(request.user, pk)
    permissions.require(request.user, "run_probes", config.environment.service.team)
    result = probe_services.probe_test_config(config=config, by=request.user)
    context = {"config": config, "result": result}
    if not wants_fragment(request):
        return render(request, "catalog/probe_test_page.html", context)
    return render(request, "catalog/partials/probe_test_result.html", context)
