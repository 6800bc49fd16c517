"""The environment monitoring page, and editing a probe's schedule."""

from datetime import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import permissions
from apps.catalog.selectors import environment_get_for_user
from apps.monitoring import selectors, services
from apps.probes.selectors import config_get_for_user


@require_GET
@login_required
def environment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Latest status per probe, a strip of its recent checks, and its schedule."""
    environment = environment_get_for_user(request.user, pk)
    context = {
        "environment": environment,
        "rows": selectors.monitoring_rows(environment, timezone.now()),
        "can_manage": permissions.can(
            request.user, "manage_probes", environment.service.team
        ),
    }
    return render(request, "monitoring/environment.html", context)


@require_POST
@login_required
def schedule_save(request: HttpRequest, config_id: int) -> HttpResponse:
    """Create or change a probe's schedule from the page's form; leads only."""
    config = config_get_for_user(request.user, config_id)
    permissions.require(request.user, "manage_probes", config.environment.service.team)
    data = request.POST
    try:
        services.probe_schedule_save(
            config=config,
            by=request.user,
            kind=data.get("kind", ""),
            interval_minutes=data.get("interval_minutes") or None,
            at_time=_time(data.get("at_time", "")),
            cron_expression=data.get("cron", ""),
            time_zone=data.get("time_zone", "UTC") or "UTC",
            enabled=data.get("enabled") == "on",
        )
    except ValidationError as error:
        messages.error(request, f"{config.name}: {' '.join(error.messages)}")
    else:
        messages.success(request, f"Schedule of {config.name} saved.")
    return redirect("monitoring:environment", pk=config.environment_id)


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationError({"at_time": f"{value!r} is not a time."}) from None
