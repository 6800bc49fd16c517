"""The on-call pages of a team: who is on call now, the coming weeks and the
overrides; the rotation's editor and its removal, for leads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions, teampages
from apps.catalog.models import Environment
from apps.oncall import selectors, services
from apps.oncall.forms import WEEKDAYS, OverrideForm, RotationForm

WEEKS_SHOWN = 6


@require_GET
@login_required
def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Who is on call now and for the next weeks, and the overrides to come."""
    team = selectors.team_get_for_user(request.user, slug)
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
        "weekday": WEEKDAYS[rotation.handover_weekday] if rotation else "",
        "can_manage": permissions.can(request.user, "manage_contacts", team),
        # The environments whose pages link here, to link back to each.
        "environments": Environment.objects.filter(service__team=team)
        .select_related("service")
        .order_by("service__name", "name"),
        "nav": "team",
        "section": "oncall",
    }
    return render(request, "oncall/team.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def rotation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Set up or change the team's rotation: time zone, hand-over day and time,
    first day and the people in order; leads only."""
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_contacts", team)
    rotation = selectors.rotation_for_team(team)
    initial = {"time_zone": "UTC", "handover_time": "09:00"}
    if rotation is not None:
        initial = {
            "time_zone": rotation.time_zone,
            "handover_weekday": rotation.handover_weekday,
            "handover_time": rotation.handover_time,
            "starts_on": rotation.starts_on,
            "members": "\n".join(m.user.get_username() for m in rotation.members.all()),
        }

    def save(data: dict) -> None:
        try:
            people = selectors.members_by_username(team, data.pop("members"))
        except ValidationError as error:
            raise ValidationError({"members": error.messages}) from None
        services.rotation_save(team=team, by=request.user, members=people, **data)

    verb = "Change" if rotation else "Set up"
    return teampages.team_form_page(
        request,
        team=team,
        section="oncall",
        form=RotationForm(request.POST or None, initial=initial),
        title=f"{verb} the on-call rotation of {team.name}",
        save=save,
    )


@require_http_methods(["GET", "POST"])
@login_required
def rotation_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask to confirm, then stop the team's rotation (its overrides with it)."""
    team = selectors.team_get_for_user(request.user, slug)
    permissions.require(request.user, "manage_contacts", team)
    rotation = selectors.rotation_for_team(team)
    if rotation is None:
        raise Http404("The team has no on-call rotation.")
    if request.method == "POST":
        services.rotation_delete(rotation=rotation, by=request.user)
        messages.success(request, "On-call rotation deleted.")
        return redirect("oncall:team", slug=team.slug)
    context = {
        "team": team,
        "rotation": rotation,
        "overrides": rotation.overrides.count(),
        "nav": "team",
        "section": "oncall",
    }
    return render(request, "oncall/rotation_delete.html", context)


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


@require_POST
@login_required
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a cover; leads only."""
    override = selectors.override_get_for_user(request.user, pk)
    team = override.rotation.team
    services.override_delete(override=override, by=request.user)
    messages.success(request, f"Override of {override.user.get_username()} removed.")
    return redirect("oncall:team", slug=team.slug)
