"""Team settings pages: the team's members, added, re-roled and removed by its
admins through apps.accounts.services (each change audited there)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import permissions, selectors, services
from apps.accounts.models import Membership, SignOffGroupMember
from apps.core.forms import add_service_error


class MemberAddForm(forms.Form):
    person = forms.CharField(
        max_length=254,
        label="Username or email",
        help_text="The person's account; they sign in once first if they have none.",
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial="engineer")


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


@require_GET
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """The user's teams, each with the parts of its settings."""
    teams = list(selectors.team_list_for_user(request.user))
    return render(request, "accounts/teams.html", {"teams": teams, "nav": "team"})


def _members_page(request, team, add_form=None, status=200) -> HttpResponse:
    can_manage = permissions.can(request.user, "manage_members", team)
    members = list(selectors.membership_list(team))
    groups: dict[int, list[str]] = {}
    in_groups = SignOffGroupMember.objects.filter(group__team=team).order_by(
        "group__name"
    )
    for user_id, name in in_groups.values_list("user_id", "group__name"):
        groups.setdefault(user_id, []).append(name)
    for membership in members:
        membership.groups = groups.get(membership.user_id, [])
        membership.form = MemberRoleForm(
            initial={"role": membership.role}, prefix=f"m{membership.pk}"
        )
    context = {
        "team": team,
        "members": members,
        "add_form": add_form or MemberAddForm(),
        "can_manage": can_manage,
        "roles": Membership.Role.choices,
        "nav": "team",
        "section": "members",
    }
    return render(request, "accounts/team.html", context, status=status)


@require_GET
@login_required
def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's settings: its members, and links to its services, contacts
    and on-call rotation."""
    team = selectors.team_get_for_user(request.user, slug)
    return _members_page(request, team)


@require_POST
@login_required
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_members", team)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        user = selectors.user_find(form.cleaned_data["person"])
        if user is None:
            form.add_error("person", "No account has that username or email.")
        elif team.memberships.filter(user=user).exists():
            form.add_error("person", f"{user.get_username()} is already a member.")
        else:
            try:
                services.membership_set(
                    team=team,
                    user=user,
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                return redirect("accounts:team", slug=team.slug)
    return _members_page(request, team, add_form=form)


@require_POST
@login_required
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_members", team)
    membership = selectors.membership_get(team, pk)
    form = MemberRoleForm(request.POST, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.membership_set(
                team=team,
                user=membership.user,
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except ValidationError as error:
            return _refused(request, team, error)
    return redirect("accounts:team", slug=team.slug)


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_members", team)
    membership = selectors.membership_get(team, pk)
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        return _refused(request, team, error)
    return redirect("accounts:team", slug=team.slug)


def _refused(request, team, error: ValidationError) -> HttpResponse:
    """A refused change (the last admin): said above the page, nothing written."""
    messages.error(request, " ".join(error.messages))
    return redirect("accounts:team", slug=team.slug)
