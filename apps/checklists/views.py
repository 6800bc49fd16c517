"""Template pages: list, view, import (with a preview), export as Markdown."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts import permissions
from apps.accounts.models import Membership, Team
from apps.checklists import markdown, services
from apps.checklists.forms import ImportForm
from apps.checklists.models import ChecklistTemplate
from apps.releases.forms import add_service_error


def _visible(user) -> QuerySet[ChecklistTemplate]:
    teams = permissions.team_ids_for(user)
    templates = ChecklistTemplate.objects.select_related("team")
    if teams is None:
        return templates
    return templates.filter(Q(team__isnull=True) | Q(team_id__in=teams))


def _get(user, pk: int) -> ChecklistTemplate:
    try:
        return _visible(user).get(pk=pk)
    except ChecklistTemplate.DoesNotExist:
        raise Http404("No such template.") from None


def _managed_teams(user) -> QuerySet[Team]:
    if user.is_superuser:
        return Team.objects.all()
    roles = permissions.ACTIONS["manage_templates"]
    return Team.objects.filter(
        pk__in=Membership.objects.filter(user=user, role__in=roles).values("team_id")
    )


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    templates = _visible(request.user).annotate(
        item_count=Count("phases__items", distinct=True),
        release_count=Count("releases", distinct=True),
    )
    context = {
        "templates": templates.order_by("name", "-version"),
        "can_import": _managed_teams(request.user).exists(),
        "nav": "templates",
    }
    return render(request, "checklists/list.html", context)


@login_required
@require_GET
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get(request.user, pk)
    phases = list(template.phases.prefetch_related("sections", "items"))
    for phase in phases:
        by_section: dict[int | None, list] = {}
        for item in phase.items.all():
            by_section.setdefault(item.section_id, []).append(item)
        phase.loose_items = by_section.get(None, [])
        phase.section_list = [
            (section, by_section.get(section.pk, []))
            for section in phase.sections.all()
        ]
    context = {
        "template": template,
        "phases": phases,
        "roles": list(template.signoff_roles.all()),
        "nav": "templates",
    }
    return render(request, "checklists/detail.html", context)


@login_required
@require_GET
def template_export(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get(request.user, pk)
    response = HttpResponse(
        services.template_export(template), content_type="text/markdown; charset=utf-8"
    )
    if "download" in request.GET:
        filename = f"{template.name}-v{template.version}.md"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def template_import(request: HttpRequest) -> HttpResponse:
    """Parse and preview first; save a new version only when asked to."""
    teams = _managed_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Only a team lead can import templates.")
    form = ImportForm(request.POST or None, request.FILES or None, teams=teams)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        permissions.require(request.user, "manage_templates", data["team"])
        try:
            preview = markdown.parse(data["source"])
        except markdown.MarkdownError as error:
            form.add_error("source", str(error))
        else:
            if request.POST.get("action") == "save":
                try:
                    template = services.template_import(
                        source=data["source"],
                        name=data["name"],
                        by=request.user,
                        team=data["team"],
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    messages.success(request, f"Imported {template}.")
                    return redirect("checklists:detail", pk=template.pk)
    context = {
        "form": form,
        "preview": preview if form.is_valid() else None,
        "source": form.cleaned_data.get("source", "") if form.is_bound else "",
        "nav": "templates",
    }
    return render(request, "checklists/import.html", context)
