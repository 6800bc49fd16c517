"""Probe pages: the panel of a release (start a run, poll it while it runs), and
the environments' probe configurations (add, change, test one)."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions
from apps.catalog import selectors as catalog_selectors
from apps.catalog.models import Environment
from apps.checklists.models import TemplateItem
from apps.core import verdict
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.probes import selectors, services
from apps.probes.forms import ProbeConfigForm
from apps.probes.models import ProbeResult
from apps.releases import selectors as release_selectors
from apps.releases.models import Release


def _panel(
    request: HttpRequest, release: Release, error: str = "", *, etag: str = ""
) -> HttpResponse:
    context = {"release": release, "probe_error": error}
    context.update(
        selectors.probe_panel(release, request.user, show_all="all" in request.GET)
    )
    latest = context["latest_run"]
    state = (
        f"{release.pk}:{latest.pk if latest else 0}:{latest.status if latest else ''}"
        f":{context['probe_results_total']}:{context['can_run_probes']}:{error}"
        f":{'all' in request.GET}:{release.status}"
    )
    tag = f'"{hashlib.sha256(state.encode()).hexdigest()[:32]}"'
    if etag and etag == tag:
        response = HttpResponse(status=304)
    else:
        if latest is not None and latest.finished:
            context.update(readiness=verdict.readiness(release), oob=True)
        response = render(request, "probes/partials/probe_changed.html", context)
    # Polls revalidate every time; an unchanged panel costs no rendering.
    response["ETag"] = tag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel alone, for polling; a plain visit goes to the release page."""
    release = release_selectors.release_get_for_user(request.user, pk)
    if not wants_fragment(request):
        return redirect(f"{release.get_absolute_url()}#probes")
    return _panel(request, release, etag=request.headers.get("If-None-Match", ""))


@login_required
@require_GET
def result_observed(request: HttpRequest, pk: int) -> HttpResponse:
    """One result's observed details, loaded when its row is first opened."""
    result = get_object_or_404(
        ProbeResult.objects.select_related("run", "config"), pk=pk
    )
    release = release_selectors.release_get_for_user(
        request.user, result.run.release_id
    )
    context = {"result": result, "release": release}
    if result.failing:
        # A failing probe shows its runbook entries and whom to call.
        context["help"] = selectors.failure_help(release, [result])
    if not wants_fragment(request):
        return render(request, "probes/result.html", context)
    response = render(request, "probes/partials/result_observed.html", context)
    patch_cache_control(response, private=True, max_age=3600)
    return response


@require_POST
@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "run_probes", release.team)
    error = ""
    try:
        services.probe_run_start(release=release, by=request.user)
    except ValidationError as exception:
        error = " ".join(exception.messages)
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        return redirect(f"{release.get_absolute_url()}#probes")
    return _panel(request, release, error)


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
    environments = catalog_selectors.environments_for_user(request.user).annotate(
        probe_count=Count("probe_configs")
    )
    context = {"environments": environments, "nav": "environments"}
    return render(request, "probes/environment_list.html", context)


@login_required
@require_GET
def environment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    environment = catalog_selectors.environment_get_for_user(request.user, pk)
    team = environment.service.team
    configs = environment.probe_configs.annotate(verifies_count=Count("verifies"))
    context = {
        "environment": environment,
        "configs": configs,
        "can_manage": permissions.can(request.user, "manage_probes", team),
        "can_test": permissions.can(request.user, "run_probes", team),
        "nav": "environments",
    }
    return render(request, "probes/environment_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def probe_config_edit(
    request: HttpRequest, environment_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    """Add a probe to an environment, or change one; secrets are never shown."""
    config = selectors.config_get_for_user(request.user, pk) if pk else None
    environment = (
        config.environment
        if config
        else catalog_selectors.environment_get_for_user(request.user, environment_pk)
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
            "severity": config.severity,
            "secret_env": config.secret_env,
            "verifies": list(config.verifies.values_list("pk", flat=True)),
        }
    form = ProbeConfigForm(
        request.POST or None, initial=initial, items=_items_for(environment)
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.probe_config_save(
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
    return render(request, "probes/probe_config_form.html", context)


@require_POST
@login_required
def probe_config_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one probe now and show its result in place; nothing is recorded."""
    config = selectors.config_get_for_user(request.user, pk)
    permissions.require(request.user, "run_probes", config.environment.service.team)
    result = services.probe_test_config(config=config, by=request.user)
    context = {"config": config, "result": result}
    if not wants_fragment(request):
        return render(request, "probes/probe_test_page.html", context)
    return render(request, "probes/partials/probe_test_result.html", context)
