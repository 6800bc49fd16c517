"""The on-call page of a team: who is on call now, the coming weeks, overrides."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import permissions
from apps.catalog.models import Environment
from apps.oncall import selectors, services
from apps.oncall.forms import WEEKDAYS, OverrideForm, RotationForm

WEEKS_SHOWN = 6


@require_http_methods(["GET", "POST"])
@login_required
def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Who is on call now and for the next weeks, and the overrides to come.

    A lead's POST sets up the rotation: time zone, weekday, time, first day and
    the people in order (user names, one per line or comma-separated).
    """
    team = selectors.team_get_for_user(request.user, slug)
    if request.method == "POST":
        permissions.require(request.user, "manage_contacts", team)
        _save_rotation(request, team)
        return redirect("oncall:team", slug=team.slug)
    rotation = selectors.rotation_for_team(team)
    now = timezone.now()
    weeks, overrides = [], []
    if rotation is not None:
        overrides = selectors.overrides_upcoming(rotation, now)
        start = services.handover_before(rotation, now)
        for _ in range(WEEKS_SHOWN):
            duty = services.on_call_now(team, max(start, now))
            weeks.append((start, duty))
            start = services.next_handover(rotation, start)
    context = {
        "team": team,
        "rotation": rotation,
        "duty": services.on_call_now(team, now),
        "weeks": weeks,
        "overrides": overrides,
        "members": team.memberships.select_related("user").order_by("user__username"),
        "weekdays": WEEKDAYS,
        "weekday": WEEKDAYS[rotation.handover_weekday] if rotation else "",
        "can_manage": permissions.can(request.user, "manage_contacts", team),
        # The environments whose pages link here, to link back to each.
        "environments": Environment.objects.filter(service__team=team)
        .select_related("service")
        .order_by("service__name", "name"),
    }
    return render(request, "oncall/team.html", context)


@require_POST
@login_required
def override_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a holiday cover; leads only."""
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_contacts", team)
    rotation = selectors.rotation_for_team(team)
    form = OverrideForm(request.POST)
    try:
        if rotation is None:
            raise ValidationError("Set up the rotation first.")
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        user = User.objects.filter(pk=data["user"], memberships__team=team).first()
        if user is None:
            raise ValidationError({"user": "Choose a member of the team."})
        services.override_add(
            rotation=rotation,
            user=user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("oncall:team", slug=team.slug)


def _save_rotation(request: HttpRequest, team) -> None:
    form = RotationForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        services.rotation_save(
            team=team,
            by=request.user,
            time_zone=data["time_zone"],
            handover_weekday=data["handover_weekday"],
            handover_time=data["handover_time"],
            starts_on=data["starts_on"],
            members=selectors.members_by_username(team, data["members"]),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Rotation saved.")
