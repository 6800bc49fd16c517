"""The release page's policy panel endpoints: deciding a verification window."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import permissions
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.policy import selectors, verification
from apps.policy.forms import VerificationDecisionForm


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
        return redirect(f"{release.get_absolute_url()}#policy")
    context = {
        "release": release,
        "decision_form": None if decided else form,
        "decision_window": window.pk,
        "decided": decided,
    }
    return render(request, "policy/partials/policy_panel.html", context)
