"""Deployment record pages and downloads, the bulk export of audit events, and
what is deployed where (the overview and a service's page)."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts import permissions
from apps.audit import selectors as audit_selectors
from apps.audit.models import AuditEvent
from apps.records import deployments, exports, selectors, sentences, services
from apps.records.forms import AuditExportForm, AuditLogForm
from apps.releases import selectors as release_selectors


def _filename(release, extension: str) -> str:
    return f"deployment-record-{release.pk}-{release.version}.{extension}"


def _download(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable deployment record of a release."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "view", release.team)
    data = services.deployment_record_export(
        release=release, fmt="html", by=request.user
    )
    context = {
        "release": release,
        "record": data,
        "can_audit": permissions.can(request.user, "view_audit", release.team),
        # The signed verdict exists once the operator configures the key.
        "attestation": bool(settings.ATTESTATION_KEY),
    }
    return render(request, "records/record.html", context)


@require_GET
@login_required
def record_json(request: HttpRequest, pk: int) -> HttpResponse:
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "view", release.team)
    data = services.deployment_record_export(
        release=release, fmt="json", by=request.user
    )
    body = json.dumps(data, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return _download(response, _filename(release, "json"))


@require_GET
@login_required
def record_csv(request: HttpRequest, pk: int) -> HttpResponse:
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "view", release.team)
    data = services.deployment_record_export(
        release=release, fmt="csv", by=request.user
    )
    response = HttpResponse(
        exports.record_csv(data), content_type="text/csv; charset=utf-8"
    )
    return _download(response, _filename(release, "csv"))


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The export form; with `download` set, the events as a streamed file."""
    teams = selectors.audit_export_teams(request.user)
    if not request.user.is_superuser and not teams.exists():
        raise PermissionDenied("Your role does not allow exporting the audit trail.")
    if "download" not in request.GET:
        form = AuditExportForm(teams=teams)
        return render(request, "records/audit_export.html", {"form": form})
    form = AuditExportForm(request.GET, teams=teams)
    if not form.is_valid():
        return render(request, "records/audit_export.html", {"form": form})
    data = form.cleaned_data
    events = services.audit_events_export(
        by=request.user,
        fmt=data["format"],
        team_ids=[data["team"].pk] if data["team"] else [],
        **form.filters(),
    )
    rows = events.values_list(*selectors.EVENT_FIELDS).iterator(
        chunk_size=exports.CHUNK
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if data["format"] == "csv":
        stream, content_type = exports.events_csv(rows), "text/csv; charset=utf-8"
    else:
        stream, content_type = exports.events_jsonl(rows), "application/jsonl"
    response = StreamingHttpResponse(stream, content_type=content_type)
    extension = "csv" if data["format"] == "csv" else "jsonl"
    return _download(response, f"audit-events-{stamp}.{extension}")


AUDIT_LOG_PAGE_SIZE = 50


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail of the user's teams as sentences, newest first, filtered;
    "Older" continues below the last event shown (keyset on seq)."""
    teams = selectors.audit_export_teams(request.user)
    team_list = list(teams)
    if not request.user.is_superuser and not team_list:
        raise PermissionDenied("Only leads and auditors can read the audit trail.")
    form = AuditLogForm(request.GET or None, teams=teams)
    lines, next_seq = [], None
    if form.is_bound and not form.is_valid():
        events = None
    else:
        filters = form.filters() if form.is_bound else {}
        team = form.cleaned_data.get("team") if form.is_bound else None
        scope = [team.pk] if team else [t.pk for t in team_list]
        events = selectors.audit_events_filter(
            AuditEvent.objects.filter(audit_selectors.audit_scope(scope)), **filters
        )
    if events is not None:
        try:
            before = int(request.GET.get("before", ""))
        except ValueError:
            before = None
        rows, next_seq = selectors.audit_log_page(
            events, before_seq=before, size=AUDIT_LOG_PAGE_SIZE
        )
        releases = selectors.audit_log_releases(rows)
        names = selectors.audit_log_targets(rows)
        lines = [
            sentences.line(
                event,
                selectors.release_of(event, releases),
                names.get((event.target_type, event.target_id), ""),
            )
            for event in rows
        ]
    filtered = QueryDict(mutable=True)
    filtered.update(
        {
            name: value
            for name, value in request.GET.items()
            if name in form.fields and value
        }
    )
    context = {
        "form": form,
        "lines": lines,
        "next_seq": next_seq,
        "newer": "before" in request.GET,
        "filtered": filtered,
        "teams": team_list,
        "formats": [("csv", "CSV"), ("jsonl", "JSON Lines")],
        "nav": "audit",
    }
    return render(request, "records/audit_log.html", context)


HISTORY_PAGE_SIZE = 20


@require_GET
@login_required
def deployments_overview(request: HttpRequest) -> HttpResponse:
    """Every service against every environment: the version deployed now."""
    grid = deployments.grid_for_user(request.user)
    return render(
        request, "records/deployments.html", {"grid": grid, "nav": "releases"}
    )


@require_GET
@login_required
def service(request: HttpRequest, pk: int) -> HttpResponse:
    """A service: what each environment runs now, and its releases, newest first."""
    service = deployments.service_get_for_user(request.user, pk)
    environments = deployments.environment_list_for_user(request.user)
    cells = deployments.cells(list(environments.filter(service=service)))
    history = deployments.release_history(service)
    page = Paginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    found = deployments.deployments_many(list(page.object_list))
    for release in page.object_list:
        release.deployment = found.get(release.pk)
    context = {"service": service, "cells": cells, "page": page, "nav": "releases"}
    return render(request, "records/service.html", context)
