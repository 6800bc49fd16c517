"""Sign-off pages: the panel's endpoints (ask for confirmation, then record the
decision; ask someone for a sign-off), and who may sign each role of a team."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import permissions
from apps.accounts import services as account_services
from apps.accounts.models import SignOffGroup, Team
from apps.accounts.sso import stepup
from apps.checklists import selectors as checklist_selectors
from apps.checklists import services as checklist_services
from apps.core import verdict
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.releases import selectors as release_selectors
from apps.releases.models import Release
from apps.signoffs import selectors, services
from apps.signoffs.forms import (
    GroupForm,
    GroupMemberForm,
    SignersForm,
    SignOffForm,
    SignOffRequestForm,
    team_signers,
)
from apps.signoffs.models import SignOff


@require_POST
@login_required
def request_signoff(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead asks a named person for a role's sign-off (notified and audited)."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "transition", release.team)
    people = selectors.signers_to_ask(release, request.user)
    form = SignOffRequestForm(request.POST, roles=release.signoff_roles, people=people)
    asked = None
    if form.is_valid():
        person = next(p for p in people if str(p.pk) == form.cleaned_data["person"])
        try:
            services.signoff_request(
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
    context = selectors.signoff_panel(release, request.user)
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
    if form.is_valid():
        # Refuse a role the user may not sign before the confirmation step.
        _refuse_before_confirming(release, form, request.user)
    if form.is_valid() and form.cleaned_data["confirm"] and "back" not in request.POST:
        data = form.cleaned_data
        if stepup.required(request):
            # A signature needs a fresh sign-in at the provider; this decision
            # waits and comes back to be confirmed.
            return stepup.detour(
                request, fields=request.POST.dict(), summary=_summary(release, data)
            )
        try:
            recorded = services.signoff_record(
                release=release,
                role_key=data["role_key"],
                decision=data["decision"],
                comment=data["comment"],
                by=request.user,
                authentication=stepup.authentication(request),
            )
        except ValidationError as error:
            add_service_error(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
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
        context = selectors.signoff_panel(release, request.user)
        context.update(
            recorded=recorded, readiness=verdict.readiness(release), oob=True
        )
        return render(request, "signoffs/partials/signoff_changed.html", context)
    context = selectors.signoff_panel(release, request.user, form)
    context["confirming"] = form.is_valid() and "back" not in request.POST
    if fragment:
        return render(request, "signoffs/partials/signoff_panel.html", context)
    return render(request, "signoffs/confirm.html", context)


def _summary(release: Release, data: dict) -> str:
    roles = {role["key"]: role["name"] for role in release.signoff_roles}
    verb = "Approve" if data["decision"] == SignOff.Decision.APPROVE else "Reject"
    name = roles.get(data["role_key"], data["role_key"])
    summary = f"{verb} {release.service.name} {release.version} as {name}."
    comment = data["comment"].strip()
    return f"{summary} Comment: {comment}" if comment else summary


def _refuse_before_confirming(release: Release, form: SignOffForm, user) -> None:
    """Put on the form why the user may not sign or approve the chosen role."""
    data = form.cleaned_data
    refusal = selectors.signoff_refusal(
        release=release, role_key=data["role_key"], user=user
    )
    if refusal is None and data["decision"] == SignOff.Decision.APPROVE:
        refusal = selectors.approval_refusal(
            release=release,
            role_key=data["role_key"],
            user=user,
            current=selectors.current_decisions(release),
        )
    if refusal:
        form.add_error(None, refusal)


def _team(user, pk: int) -> Team:
    return permissions.get_for_user(
        Team.objects.all(), user, pk, team_field="id", missing="No such team."
    )


def _managed_group(user, pk: int) -> SignOffGroup:
    """A group of one of the user's teams (404 otherwise), if they may keep it."""
    group = permissions.get_for_user(
        SignOffGroup.objects.select_related("team"),
        user,
        pk,
        team_field="team_id",
        missing="No such sign-off group.",
    )
    permissions.require(user, "manage_signoff_groups", group.team)
    return group


def signers_context(team: Team, user, **extra) -> dict:
    """Each sign-off role of the team with who may sign it, and its groups."""
    signers = checklist_selectors.signers_for_team(team.pk)
    can_manage = permissions.can(user, "manage_signers", team)
    roles = []
    for role in checklist_selectors.signoff_roles_for_team(team):
        rule = checklist_selectors.signers_for_role(signers, role["key"])
        initial = {
            "team_roles": list(rule.team_roles),
            "users": [pk for pk, _ in rule.users],
            "groups": [pk for pk, _, _ in rule.groups],
        }
        form = SignersForm(initial=initial, team=team, prefix=role["key"])
        roles.append({**role, "rule": rule, "form": form if can_manage else None})
    return {
        "team": team,
        "roles": roles,
        "groups": list(checklist_selectors.signoff_groups_for_team(team)),
        "people": list(team_signers(team)),
        "can_manage": can_manage,
        "can_manage_groups": permissions.can(user, "manage_signoff_groups", team),
        "nav": "team",
        **extra,
    }


@require_GET
@login_required
def signers_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Who may sign each sign-off role of a team, and its sign-off groups."""
    team = _team(request.user, pk)
    context = signers_context(team, request.user)
    if wants_fragment(request):
        return render(request, "signoffs/partials/signers_panel.html", context)
    return render(request, "signoffs/signers.html", context)


def _signers_response(
    request: HttpRequest, team: Team, done: str = "", error: str = ""
) -> HttpResponse:
    """The panel again with what happened; without htmx, the page via a redirect."""
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        elif done:
            messages.success(request, done)
        return redirect("signoffs:signers", pk=team.pk)
    context = signers_context(team, request.user, done=done, error=error)
    return render(request, "signoffs/partials/signers_panel.html", context)


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_POST
@login_required
def signers_role(request: HttpRequest, pk: int, role_key: str) -> HttpResponse:
    """Save who may sign one role (leads and admins)."""
    team = _team(request.user, pk)
    permissions.require(request.user, "manage_signers", team)
    form = SignersForm(request.POST, team=team, prefix=role_key)
    if not form.is_valid():
        return _signers_response(request, team, error=form.errors.as_text())
    try:
        rule = checklist_services.signoff_eligibility_set(
            team=team, role_key=role_key, by=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        return _signers_response(request, team, error=_message(error))
    names = {
        r["key"]: r["name"] for r in checklist_selectors.signoff_roles_for_team(team)
    }
    name = names.get(role_key, role_key)
    done = (
        f"Saved: anyone on the team may sign {name}."
        if rule is None
        else f"Saved who may sign {name}."
    )
    return _signers_response(request, team, done=done)


@require_POST
@login_required
def group_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a sign-off group (the team's admins)."""
    team = _team(request.user, pk)
    permissions.require(request.user, "manage_signoff_groups", team)
    form = GroupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the group a name of 1 to 120 characters.")
        group = account_services.signoff_group_create(
            team=team, name=form.cleaned_data["name"], by=request.user
        )
    except ValidationError as error:
        return _signers_response(request, team, error=_message(error))
    return _signers_response(request, team, done=f"Group {group.name} created.")


@require_POST
@login_required
def group_rename(request: HttpRequest, pk: int) -> HttpResponse:
    group = _managed_group(request.user, pk)
    form = GroupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the group a name of 1 to 120 characters.")
        account_services.signoff_group_rename(
            group=group, name=form.cleaned_data["name"], by=request.user
        )
    except ValidationError as error:
        return _signers_response(request, group.team, error=_message(error))
    return _signers_response(request, group.team, done=f"Renamed to {group.name}.")


@require_POST
@login_required
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = _managed_group(request.user, pk)
    name = group.name
    try:
        account_services.signoff_group_delete(group=group, by=request.user)
    except ValidationError as error:
        return _signers_response(request, group.team, error=_message(error))
    return _signers_response(request, group.team, done=f"Group {name} deleted.")


@require_POST
@login_required
def group_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    group = _managed_group(request.user, pk)
    form = GroupMemberForm(request.POST, team=group.team)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a member of the team who may sign off.")
        user = form.cleaned_data["user"]
        account_services.signoff_group_member_add(
            group=group, user=user, by=request.user
        )
    except ValidationError as error:
        return _signers_response(request, group.team, error=_message(error))
    done = f"Added {user.get_username()} to {group.name}."
    return _signers_response(request, group.team, done=done)


@require_POST
@login_required
def group_member_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    group = _managed_group(request.user, pk)
    member = group.members.select_related("user").filter(user_id=user_id).first()
    if member is None:
        raise Http404("No such member of the group.")
    account_services.signoff_group_member_remove(
        group=group, user=member.user, by=request.user
    )
    done = f"Removed {member.user.get_username()} from {group.name}."
    return _signers_response(request, group.team, done=done)
