"""Template pages: list, view, change options, import (with a preview), export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.checklists import markdown, selectors, services
from apps.checklists.forms import ImportForm, OptionsForm
from apps.core.forms import add_service_error


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    templates = selectors.template_list_for_user(request.user).annotate(
        item_count=Count("phases__items", distinct=True),
        release_count=Count("releases", distinct=True),
    )
    context = {
        "templates": templates.order_by("name", "-version"),
        "can_import": selectors.template_teams_managed_by(request.user).exists(),
        "nav": "templates",
    }
    return render(request, "checklists/list.html", context)


@login_required
@require_GET
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.template_get_for_user(request.user, pk)
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
        "options_form": _options_form(request.user, template),
        "owned": selectors.template_owned_by(template, request.user),
        "nav": "templates",
    }
    return render(request, "checklists/detail.html", context)


def _options_form(user, template, data=None) -> OptionsForm | None:
    """The options form for people who manage templates somewhere, or None."""
    teams = selectors.template_teams_managed_by(user)
    if template.team_id is not None:
        teams = teams.filter(pk=template.team_id)
    if not (teams.exists() or user.is_superuser):
        return None
    initial = {option: getattr(template, option) for option in services.OPTIONS}
    items = selectors.template_severity_items(template)
    initial["advisory_items"] = [text for text, advisory in items if advisory]
    owned = selectors.template_owned_by(template, user)
    return OptionsForm(
        data,
        initial=initial,
        teams=None if owned else teams,
        items=[text for text, _ in items],
    )


@require_POST
@login_required
def template_options(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a template's sign-off options; on a template the user does not own,
    they become the chosen team's own version."""
    template = selectors.template_get_for_user(request.user, pk)
    form = _options_form(request.user, template, request.POST)
    if form is None:
        raise PermissionDenied("Only a team lead can change template options.")
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = services.template_change(
                template=template,
                by=request.user,
                team=data.get("team"),
                options={option: data[option] for option in services.OPTIONS},
                advisory_items=set(data["advisory_items"]),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            changed = change.template
            if change.copied_from is not None:
                messages.success(
                    request,
                    f"Saved as {changed.team}'s own version {changed}; "
                    f"{template} is unchanged. New releases of {changed.team} "
                    "use it.",
                )
            elif change.after:
                messages.success(request, f"Options of {changed} saved.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("checklists:detail", pk=changed.pk)
    else:
        messages.error(request, "Check the options: " + form.errors.as_text())
    return redirect("checklists:detail", pk=template.pk)


@login_required
@require_GET
def template_export(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.template_get_for_user(request.user, pk)
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
    teams = selectors.template_teams_managed_by(request.user)
    if not teams.exists():
        raise PermissionDenied("Only a team lead can import templates.")
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        teams=teams,
        shared=request.user.is_superuser,
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
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
