"""The sign-off panel's endpoint: ask for confirmation, then record the decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import permissions
from apps.accounts.models import Membership
from apps.core.htmx import wants_fragment
from apps.notifications import mail
from apps.releases import lifecycle
from apps.releases import selectors as release_selectors
from apps.releases.forms import add_service_error
from apps.releases.models import Release
from apps.releases.readiness import compute_readiness
from apps.signoffs import selectors, services
from apps.signoffs.forms import SignOffForm, SignOffRequestForm


def panel_context(release: Release, user, form: SignOffForm | None = None) -> dict:
    decisions = selectors.current_decisions(release)
    roles = [
        {
            "key": role["key"],
            "name": role["name"],
            "decision": decisions.get(role["key"]),
        }
        for role in release.signoff_roles
    ]
    selected = form["role_key"].value() if form is not None else None
    if not selected:
        waiting = [
            r for r in roles if not (r["decision"] and r["decision"].is_approval)
        ]
        selected = (waiting or roles or [{"key": ""}])[0]["key"]
    return {
        "release": release,
        "roles": roles,
        "roles_approved": sum(
            1 for role in roles if role["decision"] and role["decision"].is_approval
        ),
        "selected_role": selected,
        "can_signoff": permissions.can(user, "signoff", release.team)
        and release.status in lifecycle.OPEN_STATUSES,
        "signoff_form": form,
        "signers": signers(release, user),
    }


def signers(release: Release, user) -> list:
    """People a lead may ask for a sign-off; empty for everyone else."""
    if release.status not in lifecycle.OPEN_STATUSES or not permissions.can(
        user, "transition", release.team
    ):
        return []
    roles = permissions.ACTIONS["signoff"]
    return [
        membership.user
        for membership in Membership.objects.filter(
            team_id=release.team_id, role__in=roles
        )
        .select_related("user")
        .order_by("user__username")
    ]


@require_POST
@login_required
def request_signoff(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead asks a named person for a role's sign-off (notified and audited)."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "transition", release.team)
    people = signers(release, request.user)
    form = SignOffRequestForm(request.POST, roles=release.signoff_roles, people=people)
    asked = None
    if form.is_valid():
        person = next(p for p in people if str(p.pk) == form.cleaned_data["person"])
        try:
            mail.signoff_request(
                release=release,
                role_key=form.cleaned_data["role_key"],
                person=person,
                note=form.cleaned_data["note"].strip(),
                by=request.user,
            )
            asked = person
        except ValidationError as error:
            add_service_error(form, error)
    if not wants_fragment(request):
        if asked:
            messages.success(request, f"Asked {asked} for a sign-off.")
        else:
            messages.error(request, "The sign-off request was not sent: check it.")
        return redirect(f"{release.get_absolute_url()}#signoffs")
    context = panel_context(release, request.user)
    context.update(asked=asked, request_form=form)
    return render(request, "signoffs/partials/signoff_panel.html", context)


@require_POST
@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """First POST shows what will be recorded; the confirmed POST records it."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "signoff", release.team)
    form = SignOffForm(request.POST, roles=release.signoff_roles)
    recorded = None
    if form.is_valid() and form.cleaned_data["confirm"] and "back" not in request.POST:
        data = form.cleaned_data
        try:
            recorded = services.signoff_record(
                release=release,
                role_key=data["role_key"],
                decision=data["decision"],
                comment=data["comment"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
    elif (
        form.is_valid()
        and form.cleaned_data["decision"] == "reject"
        and not form.cleaned_data["comment"].strip()
    ):
        # Ask for the comment before the confirmation step, not after it.
        form.add_error("comment", "Say why you reject this release.")
    fragment = wants_fragment(request)
    if recorded:
        verb = "approved" if recorded.is_approval else "rejected"
        if not fragment:
            messages.success(request, f"You {verb} as {recorded.role_name}.")
            return redirect(f"{release.get_absolute_url()}#signoffs")
        context = panel_context(release, request.user)
        context.update(
            recorded=recorded, readiness=compute_readiness(release), oob=True
        )
        return render(request, "signoffs/partials/signoff_changed.html", context)
    context = panel_context(release, request.user, form)
    context["confirming"] = form.is_valid() and "back" not in request.POST
    if fragment:
        return render(request, "signoffs/partials/signoff_panel.html", context)
    return render(request, "signoffs/confirm.html", context)
