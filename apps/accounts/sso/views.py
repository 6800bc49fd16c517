"""Sign-in through the provider: start, callback, sign-out; mozilla-django-oidc's
views bound to Shipshape's settings, with pages for each way it can go wrong.

A refused or broken callback never shows a traceback or names internals: the
person sees what happened and what to do; the log has the reason.
"""

import logging
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from mozilla_django_oidc import views as oidc_views

from apps.accounts import sso
from apps.accounts.sso import provider

log = logging.getLogger(__name__)

# Session keys: this session signed in through the provider, and when and how.
SESSION_SSO = "sso_signed_in"
SESSION_AUTH_TIME = "sso_auth_time"
SESSION_ACR = "sso_acr"
SESSION_AMR = "sso_amr"
# Set while a fresh sign-in (prompt=login) is under way.
SESSION_STEP_UP = "sso_step_up"

REFUSALS = {
    "unmapped": (
        "No access to Shipshape",
        "You signed in, but your account is not given access to any team in "
        "Shipshape. Ask whoever manages access to Shipshape in your "
        "organisation to add you.",
    ),
    "inactive": (
        "Account deactivated",
        "Your Shipshape account is deactivated. Ask an administrator.",
    ),
    "misconfigured": (
        "Sign-in is not available",
        "Single sign-on is not set up correctly at the moment. Administrators "
        "can see why in the logs. Try again later.",
    ),
    "failed": (
        "Sign-in did not complete",
        "The answer from the identity provider could not be accepted, so you "
        "are not signed in. Try again; if it keeps happening, tell an "
        "administrator the time it happened.",
    ),
    "unavailable": (
        "Sign-in is not available",
        "The identity provider cannot be reached at the moment. Try again in "
        "a few minutes.",
    ),
    "not_fresh": (
        "Sign in again to continue",
        "The identity provider did not ask you to sign in again, so this "
        "signature cannot be confirmed. Try again.",
    ),
}
STATUS = {"unavailable": 503, "misconfigured": 503, "failed": 400}
# prompt=none answers: the provider's own session is over.
SESSION_ENDED = {"login_required", "interaction_required", "consent_required"}


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    title, message = REFUSALS[reason]
    context = {
        "title": title,
        "message": message,
        "provider_name": settings.OIDC_PROVIDER_NAME,
        "retry": reason in {"failed", "unavailable", "not_fresh"},
    }
    return render(
        request, "accounts/sso_refused.html", context, status=STATUS.get(reason, 403)
    )


class _Bound:
    get_settings = staticmethod(provider.library_setting)

    def dispatch(self, request, *args, **kwargs):
        if not sso.enabled():
            raise Http404
        try:
            return super().dispatch(request, *args, **kwargs)
        except (provider.ProviderUnavailable, ImproperlyConfigured) as error:
            log.warning("OpenID provider unavailable: %s", error)
            return refused(request, "unavailable")


class SsoAuthenticate(_Bound, oidc_views.OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/?next=…: off to the provider (code flow + PKCE).

    With ?fresh=1 (a signature asked for it) the provider must sign the person
    in again: prompt=login, max_age=0.
    """

    def __init__(self, **kwargs) -> None:
        oidc_views.View.__init__(self, **kwargs)

    def get(self, request):
        self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        response = super().get(request)
        if self._fresh(request):
            # Tied to this flow's state: an abandoned fresh sign-in must not
            # judge a later silent refresh.
            query = dict(parse_qsl(urlsplit(response["Location"]).query))
            request.session[SESSION_STEP_UP] = {
                "state": query["state"],
                "at": time.time(),
            }
        return response

    @staticmethod
    def _fresh(request) -> bool:
        return bool(request.GET.get("fresh")) and request.user.is_authenticated

    def get_extra_params(self, request):
        if self._fresh(request):
            return {"prompt": "login", "max_age": "0"}
        return {}


class SsoCallback(_Bound, oidc_views.OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: the provider's answer, checked, then signed in."""

    def get(self, request):
        if request.GET.get("state") not in (request.session.get("oidc_states") or {}):
            # Not a flow this browser started (or one already finished): refused,
            # and the session is left alone, so a stray link cannot sign anyone
            # out (the library would on an error answer).
            log.warning("single sign-on callback with a state this browser lacks")
            return refused(request, "failed")
        if request.GET.get("error") in SESSION_ENDED:
            # A silent refresh found the provider's session over: sign out here
            # too (the library does) and ask for a sign-in, not an error page.
            next_url = request.session.get("oidc_login_next") or "/"
            super().get(request)
            return redirect_to_login(next_url)
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException) as error:
            log.warning("single sign-on callback refused: %s", error)
            return self._refuse(request, "failed")

    def _refuse(self, request, reason: str) -> HttpResponse:
        if request.user.is_authenticated:
            auth.logout(request)
        return refused(request, reason)

    def login_failure(self):
        return self._refuse(
            self.request, getattr(self.request, "sso_refused", None) or "failed"
        )

    def login_success(self):
        response = super().login_success()
        session, claims = self.request.session, getattr(self.request, "sso_claims", {})
        session[SESSION_SSO] = True
        auth_time = claims.get("auth_time")
        session[SESSION_AUTH_TIME] = (
            auth_time if isinstance(auth_time, int | float) else None
        )
        session[SESSION_ACR] = str(claims.get("acr") or "")[:200]
        amr = claims.get("amr")
        session[SESSION_AMR] = (
            [str(a) for a in amr][:10] if isinstance(amr, list) else []
        )
        step_up = session.get(SESSION_STEP_UP) or {}
        if step_up.get("state") == self.request.GET.get("state"):
            session.pop(SESSION_STEP_UP)
            # The provider must have signed the person in after we asked.
            if not (
                isinstance(auth_time, int | float) and auth_time >= step_up["at"] - 5
            ):
                return refused(self.request, "not_fresh")
        return response


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to send the browser to end the provider's session too, if anywhere."""
    if not sso.enabled() or not request.session.get(SESSION_SSO):
        return None
    try:
        endpoint = provider.discovery().get("end_session_endpoint")
    except provider.ProviderUnavailable:
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.OIDC_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(
            resolve_url(settings.LOGOUT_REDIRECT_URL)
        ),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
