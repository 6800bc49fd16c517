"""The insights pages: delivery metrics, and a release's delivery facts."""

import csv
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.accounts import permissions
from apps.catalog.models import Service
from apps.core.forms import add_service_error
from apps.insights import charts, metrics, selectors
from apps.insights.forms import DeliveryForm, InsightsFilterForm, commits_text
from apps.releases import selectors as release_selectors
from apps.releases import services as release_services


@require_http_methods(["GET", "POST"])
@login_required
def release_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """A release's delivery facts: kind, what it remediates, how the deploy
    ended, the commits it carries, what a rollback restored. Leads change them."""
    release = release_selectors.release_get_for_user(request.user, pk)
    can_change = permissions.can(request.user, "transition", release.team)
    if request.method == "POST":
        permissions.require(request.user, "transition", release.team)
    initial = {
        "kind": release.kind,
        "remediates": release.remediates_id,
        "deploy_result": release.deploy_result,
        "deploy_finished_at": release.deploy_finished_at,
        "rolled_back_to": release.rolled_back_to_id,
        "commits": commits_text(release),
    }
    form = DeliveryForm(request.POST or None, release=release, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            release_services.release_delivery_record(
                release=release, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Delivery facts saved.")
            return redirect("insights:release-delivery", pk=release.pk)
    context = {"release": release, "form": form, "can_change": can_change}
    return render(request, "insights/delivery.html", context)


# The charts: the metric's key, its title, its unit, and how a weekly row
# gives its value.
CHARTS = (
    ("deployment_frequency", "Deploys per week", "deploys", lambda r: r["deploys"]),
    (
        "change_lead_time",
        "Change lead time (median)",
        "hours",
        lambda r: r["lead_time_median_hours"],
    ),
    (
        "change_fail_rate",
        "Change fail rate",
        "%",
        lambda r: _percent(r, "change_fail_rate"),
    ),
    (
        "recovery_time",
        "Failed deployment recovery time (median)",
        "hours",
        lambda r: r["recovery_median_hours"],
    ),
    (
        "rework_rate",
        "Deployment rework rate",
        "%",
        lambda r: _percent(r, "rework_rate"),
    ),
)
SERIES = {
    "deployment_frequency": ("deploys", "deploy_days"),
    "change_lead_time": ("lead_time_median_hours", "lead_time_samples"),
    "change_fail_rate": ("change_fail_rate", "failed", "deploys"),
    "recovery_time": ("recovery_median_hours", "recoveries"),
    "rework_rate": ("rework_rate", "rework"),
}


def _percent(row: dict, key: str) -> float | None:
    return None if row[key] is None else row[key] * 100


def _scope(request: HttpRequest) -> tuple[metrics.Scope, InsightsFilterForm]:
    """The page's scope from its filters; bad filters fall back to the default."""
    teams = permissions.team_ids_for(request.user)
    services = Service.objects.order_by("name")
    if teams is not None:
        services = services.filter(team_id__in=teams)
    form = InsightsFilterForm(request.GET or None, services=services)
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    _, until = selectors.default_period(now)
    weeks = data.get("weeks") or selectors.DEFAULT_WEEKS
    service = data.get("service")
    scope = selectors.scope_for_user(
        request.user,
        now=now,
        since=until - timedelta(weeks=weeks),
        until=until,
        service=service.pk if service else None,
    )
    return scope, form


@require_http_methods(["GET"])
@login_required
def insights_page(request: HttpRequest) -> HttpResponse:
    """The delivery metrics of the user's production deploys: weekly trend charts
    with DORA's 2024 bands, each with its table and CSV; the readiness metrics."""
    scope, form = _scope(request)
    found = metrics.delivery_metrics(scope)
    series = found["deployment_frequency"]["series"]
    weekly = _weekly_rows(found)
    drawn = [
        charts.chart(key, title, unit, [(row["week"], value(row)) for row in weekly])
        for key, title, unit, value in CHARTS
    ]
    context = {
        "nav": "insights",
        "form": form,
        "metrics": found,
        "charts": drawn,
        "weeks": len(series),
        "query": request.GET.urlencode(),
        "split": found["readiness"]["change_fail_rate_by_readiness"],
    }
    return render(request, "insights/page.html", context)


def _weekly_rows(found: dict) -> list[dict]:
    rows: dict[str, dict] = {}
    for key in SERIES:
        for row in found[key]["series"]:
            rows.setdefault(row["week"], {}).update(row)
    return [rows[week] for week in sorted(rows)]


@require_http_methods(["GET"])
@login_required
def insights_csv(request: HttpRequest) -> HttpResponse:
    """One chart's weekly numbers (`chart`, deployment frequency by default) as
    CSV, for the page's filters."""
    key = request.GET.get("chart") or "deployment_frequency"
    if key not in SERIES:
        raise Http404("No such chart.")
    scope, _form = _scope(request)
    found = metrics.delivery_metrics(scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}.csv"'
    columns = ("week", *SERIES[key])
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in found[key]["series"]:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return response


@require_http_methods(["GET"])
@login_required
def service_strip(request: HttpRequest, pk: int) -> HttpResponse:
    """The five keys of one service's production deploys over 26 weeks, as a
    strip the service page loads with htmx; without htmx, the Insights page."""
    scope = selectors.scope_for_user(request.user, now=timezone.now(), service=pk)
    if not request.htmx:
        return redirect(f"{reverse('insights:page')}?service={pk}")
    context = {"metrics": metrics.delivery_metrics(scope), "service_id": pk}
    return render(request, "insights/partials/service_strip.html", context)
