"""Account pages: sign-out, personal API tokens (create, list, revoke)."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import tokens
from apps.accounts.models import ApiToken
from apps.accounts.sso import stepup
from apps.accounts.sso.views import provider_logout_url
from apps.core.moments import DayField


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. deploy job."
    )
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="Refused on every change."
    )
    expires_on = DayField(
        required=False,
        label="Expires on",
        help_text="Leave empty for no expiry.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; a POST creates one and shows its secret once."""
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.combine(expires_on, time.max))
            if expires_on
            else None
        )
        try:
            _token, secret = tokens.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"],
                expires_at=expires_at,
            )
        except ValidationError as error:
            # The service names `expires_at`; this form asks for a day.
            form.add_error(None, error.messages)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": tokens.token_list_for_user(request.user),
        "now": timezone.now(),
    }
    return render(request, "accounts/tokens.html", context)


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.token_revoke(token=token, by=request.user)
    return redirect("accounts:tokens")


@require_POST
@never_cache
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the session here, then at the provider when it advertises how
    (end_session_endpoint), which sends the browser back to the sign-in page."""
    at_provider = provider_logout_url(request)
    auth.logout(request)
    return redirect(at_provider or settings.LOGOUT_REDIRECT_URL)


@require_GET
@never_cache
@login_required
def sso_continue(request: HttpRequest, token: str) -> HttpResponse:
    """Back from a fresh sign-in at the provider: the decision that waited for
    it, to confirm (it posts to where it was going)."""
    entry = stepup.pending(request, token)
    if entry is None:
        raise Http404("This confirmation has expired; start again.")
    context = {**entry, "signed_in_at": stepup.signed_in_at(request)}
    return render(request, "accounts/sso_continue.html", context)
