"""The policy's pages: waivers and emergency exceptions asked for and approved
from the release page, freeze windows per environment, and a lead's decision on
a verification window."""

from datetime import datetime, timedelta
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import permissions
from apps.accounts.sso import stepup
from apps.catalog import selectors as catalog_selectors
from apps.catalog.models import Environment
from apps.core import cron as recurrence
from apps.core import verdict
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.policy import selectors, services, verification
from apps.policy.facts import freeze_occurrence, upcoming_occurrences
from apps.policy.forms import (
    ExceptionRequestForm,
    FreezeWindowForm,
    VerificationDecisionForm,
    VerificationSettingsForm,
    WaiverRequestForm,
)
from apps.policy.models import FreezeWindow
from apps.releases import selectors as release_selectors
from apps.releases.models import Release


def _back(release: Release) -> HttpResponse:
    return redirect(f"{release.get_absolute_url()}#policy")


def _later(**delta) -> str:
    """A datetime-local input's value, `delta` from now (UTC, to the minute)."""
    return (timezone.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def _refusal(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You may not do that."


@login_required
@require_GET
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The release page's policy panel alone: htmx polls it while a verification
    window measures or a waiver waits; without htmx, the release page at the panel.

    The poll names the revision the page shows (`seen`). When the release has
    changed since (a waiver approved by another lead, an exception, a tick
    elsewhere), the readiness bar comes along out of band, so the verdict on
    screen never lags the panel that explains it."""
    release = release_selectors.release_get_for_user(request.user, pk)
    if not wants_fragment(request):
        return _back(release)
    seen = request.GET.get("seen")
    if seen is None or seen == str(release.revision):
        context = {"release": release}
        return render(request, "policy/partials/policy_panel.html", context)
    context = {"release": release, "readiness": verdict.readiness(release), "oob": True}
    return render(request, "policy/partials/policy_changed.html", context)


@require_POST
@login_required
def verification_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead settles an inconclusive verification window, with a note."""
    window = selectors.verification_window_get_for_user(request.user, pk)
    release = window.release
    permissions.require(request.user, "override", release.team)
    form = VerificationDecisionForm(request.POST)
    decided = None
    if form.is_valid():
        try:
            decided = verification.verification_window_decide(
                window=window, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
    if not wants_fragment(request):
        if decided:
            messages.success(request, f"Verification window {decided.outcome}.")
        else:
            messages.error(request, "The decision was not recorded: check it.")
        return _back(release)
    context = {
        "release": release,
        "decision_form": None if decided else form,
        "decision_window": window.pk,
        "decided": decided,
    }
    return render(request, "policy/partials/policy_panel.html", context)


# Waivers ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def waiver_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead asks to waive one of the release's blockers until a moment."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "override", release.team)
    blockers = selectors.waivable_blockers(release)
    choices = [(blocker.value, blocker.label) for blocker in blockers]
    if request.method == "POST":
        form = WaiverRequestForm(request.POST, blockers=choices)
        if form.is_valid():
            blocker_type, blocker_id = form.cleaned_data["blocker"]
            try:
                waiver = services.waiver_request(
                    release=release,
                    blocker_type=blocker_type,
                    blocker_id=blocker_id,
                    reason=form.cleaned_data["reason"],
                    expires_at=form.cleaned_data["expires_at"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"Waiver of “{waiver.label}” requested: another lead approves it.",
                )
                return _back(release)
    else:
        initial = {"expires_at": _later(days=7), "blocker": request.GET.get("blocker")}
        form = WaiverRequestForm(initial=initial, blockers=choices)
    # A panel links here with its blocker chosen; one waived or asked for since
    # (or no longer blocking) is not among the choices, and the page says so.
    wanted = request.GET.get("blocker")
    notice = ""
    if wanted and wanted not in {value for value, _ in choices}:
        notice = (
            "That blocker already has a waiver asked for or in force, or no "
            "longer blocks the release."
        )
    context = {
        "release": release,
        "notice": notice,
        "form": form,
        "latest": _later(days=30),
        "nav": "releases",
    }
    return render(request, "policy/waiver_request.html", context)


def _waiver_decision(request: HttpRequest, pk: int, service, said: str):
    waiver = selectors.waiver_get_for_user(request.user, pk)
    release = waiver.release
    permissions.require(request.user, "override", release.team)
    if service is services.waiver_approve and stepup.required(request):
        # An approval is a signature: with single sign-on it needs a fresh
        # sign-in at the provider, then comes back to be confirmed.
        return stepup.detour(
            request,
            fields=request.POST.dict(),
            summary=f"Approve the waiver of “{waiver.label}” on {release}",
        )
    try:
        service(waiver=waiver, by=request.user)
    except (ValidationError, PermissionDenied) as error:  # the four-eyes rule
        return _decided(request, release, error=f"Not {said}: {_refusal(error)}")
    return _decided(request, release, done=f"Waiver of “{waiver.label}” {said}.")


def _decided(
    request: HttpRequest, release: Release, *, done: str = "", error: str = ""
) -> HttpResponse:
    """After a decision on a waiver or an exception: with htmx, the policy panel
    with what happened and the readiness bar out of band (a waiver or an
    exception can change the verdict); without, the release page at the panel."""
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return _back(release)
    release.refresh_from_db()
    context = {
        "release": release,
        "said": done,
        "refused": error,
        "readiness": verdict.readiness(release),
        "oob": True,
    }
    return render(request, "policy/partials/policy_changed.html", context)


@require_POST
@login_required
def waiver_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Another lead approves a waiver; the blocker then lets the release through."""
    return _waiver_decision(request, pk, services.waiver_approve, "approved")


@require_POST
@login_required
def waiver_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead declines a waiver still waiting (its requester withdraws it)."""
    return _waiver_decision(request, pk, services.waiver_decline, "declined")


# Emergency exceptions --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exception_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead asks to deploy through a freeze; two other leads approve it."""
    release = release_selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "override", release.team)
    if request.method == "POST":
        form = ExceptionRequestForm(request.POST)
        if form.is_valid():
            try:
                services.emergency_exception_request(
                    release=release, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    "Emergency exception requested: two other leads approve it.",
                )
                return _back(release)
    else:
        form = ExceptionRequestForm(initial={"expires_at": _later(hours=12)})
    context = {
        "release": release,
        "form": form,
        "freeze": selectors.release_policy(release)["freeze"],
        "latest": _later(days=2),
        "nav": "releases",
    }
    return render(request, "policy/exception_request.html", context)


@require_POST
@login_required
def exception_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the two approvals an emergency exception needs."""
    exception = selectors.exception_get_for_user(request.user, pk)
    release = exception.release
    permissions.require(request.user, "override", release.team)
    if stepup.required(request):
        return stepup.detour(
            request,
            fields=request.POST.dict(),
            summary=f"Approve the emergency exception of {release}",
        )
    try:
        exception = services.emergency_exception_approve(
            exception=exception, by=request.user
        )
    except (ValidationError, PermissionDenied) as error:  # the four-eyes rule
        return _decided(request, release, error=f"Not approved: {_refusal(error)}")
    if exception.approved:
        return _decided(
            request, release, done="Emergency exception approved by two leads."
        )
    return _decided(request, release, done="Approval recorded: one more lead approves.")


# Freeze windows --------------------------------------------------------------


def _freeze_rows(environment: Environment, at: datetime) -> list[dict]:
    rows = []
    for window in environment.freeze_windows.all():
        try:
            upcoming = upcoming_occurrences(window, at, count=1)
        except recurrence.CronError:
            upcoming = []
        rows.append(
            {
                "window": window,
                "now": freeze_occurrence(window, at),
                "next": upcoming[0] if upcoming else None,
            }
        )
    return rows


@login_required
@require_GET
def freeze_list(request: HttpRequest, pk: int) -> HttpResponse:
    """An environment's freeze windows, in effect or next, for every member."""
    environment = catalog_selectors.environment_get_for_user(request.user, pk)
    context = {
        "environment": environment,
        "rows": _freeze_rows(environment, timezone.now()),
        "can_manage": permissions.can(
            request.user, "override", environment.service.team
        ),
        "nav": "environments",
    }
    return render(request, "policy/freeze_list.html", context)


def _preview(form: FreezeWindowForm) -> dict:
    """The next five occurrences of the form's window, or why there are none."""
    if not form.is_valid():
        return {"problem": "Fill in the window to see when it happens."}
    try:
        fields = services.freeze_window_clean(
            **{k: v for k, v in form.service_fields().items() if k != "reason"}
        )
        occurrences = upcoming_occurrences(SimpleNamespace(**fields), timezone.now())
    except (ValidationError, recurrence.CronError) as error:
        messages_ = error.messages if isinstance(error, ValidationError) else [error]
        return {"problem": " ".join(str(message) for message in messages_)}
    return {"occurrences": occurrences, "zone": fields["time_zone"]}


def _freeze_initial(window: FreezeWindow | None) -> dict:
    if window is None:
        return {"repeats": FreezeWindowForm.ONE_OFF, "time_zone": "UTC"}
    moment = "%Y-%m-%dT%H:%M"
    return {
        "name": window.name,
        "reason": window.reason,
        "repeats": FreezeWindowForm.RECURRING
        if window.cron
        else FreezeWindowForm.ONE_OFF,
        "starts_at": window.starts_at.strftime(moment) if window.starts_at else "",
        "ends_at": window.ends_at.strftime(moment) if window.ends_at else "",
        "cron": window.cron,
        "time_zone": window.time_zone,
        "duration_minutes": window.duration_minutes,
    }


@login_required
@require_http_methods(["GET", "POST"])
def freeze_edit(
    request: HttpRequest, environment_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    """Add or change a freeze window; "Preview" shows its next five occurrences
    without saving (htmx refreshes them as the fields change)."""
    window = selectors.freeze_window_get_for_user(request.user, pk) if pk else None
    environment = (
        window.environment
        if window
        else catalog_selectors.environment_get_for_user(request.user, environment_pk)
    )
    permissions.require(request.user, "override", environment.service.team)
    if request.method == "POST":
        form = FreezeWindowForm(request.POST)
        preview = _preview(form)
        if "preview" not in request.POST and form.is_valid():
            try:
                saved = services.freeze_window_save(
                    environment=environment,
                    by=request.user,
                    window=window,
                    **form.service_fields(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"Freeze window “{saved.name}” saved.")
                return redirect("policy:freezes", environment.pk)
    else:
        form = FreezeWindowForm(initial=_freeze_initial(window))
        preview = _preview(FreezeWindowForm(_freeze_initial(window))) if window else {}
    context = {
        "environment": environment,
        "window": window,
        "form": form,
        "preview": preview,
        "nav": "environments",
    }
    return render(request, "policy/freeze_form.html", context)


@login_required
@require_GET
def freeze_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The occurrences fragment of the freeze form, for htmx; writes nothing."""
    environment = catalog_selectors.environment_get_for_user(request.user, pk)
    permissions.require(request.user, "override", environment.service.team)
    context = {"preview": _preview(FreezeWindowForm(request.GET))}
    return render(request, "policy/partials/freeze_occurrences.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def freeze_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then remove a freeze window."""
    window = selectors.freeze_window_get_for_user(request.user, pk)
    environment = window.environment
    permissions.require(request.user, "override", environment.service.team)
    if request.method == "POST":
        name = window.name
        services.freeze_window_delete(window=window, by=request.user)
        messages.success(request, f"Freeze window “{name}” deleted.")
        return redirect("policy:freezes", environment.pk)
    context = {"environment": environment, "window": window, "nav": "environments"}
    return render(request, "policy/freeze_delete.html", context)


# Verification after deploy ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def verification_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Whether and how releases marked deployed to the environment are verified;
    every member sees it, leads change it."""
    environment = catalog_selectors.environment_get_for_user(request.user, pk)
    team = environment.service.team
    can_manage = permissions.can(request.user, "override", team)
    current = verification.verification_settings_for(environment)
    if request.method == "POST":
        permissions.require(request.user, "override", team)
        form = VerificationSettingsForm(request.POST)
        if form.is_valid():
            try:
                verification.verification_settings_save(
                    environment=environment, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Verification settings saved.")
                return redirect("policy:verification-settings", environment.pk)
    else:
        form = VerificationSettingsForm(
            initial={f: getattr(current, f) for f in verification.SETTINGS_FIELDS}
        )
    probes = environment.probe_configs.filter(
        enabled=True, kind__in=verification.KINDS
    ).order_by("name")
    context = {
        "environment": environment,
        "form": form,
        "current": current,
        "probes": list(probes),
        "can_manage": can_manage,
        "nav": "environments",
    }
    return render(request, "policy/verification_settings.html", context)
