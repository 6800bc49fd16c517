"""A fresh sign-in before a signature (OIDC_STEP_UP_SECONDS).

With single sign-on on, a session that signed in through the provider may sign
(approve or reject a sign-off, override a transition) only while its provider
sign-in is younger than OIDC_STEP_UP_SECONDS. Older, the view calls detour(): the
decision waits in the session, the browser goes to the provider with
prompt=login and max_age=0, and comes back to /oidc/continue/<token>/, the same
confirmation, which posts the decision to where it was going.
"""

import datetime
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from apps.accounts import sso
from apps.accounts.sso.views import (
    SESSION_ACR,
    SESSION_AMR,
    SESSION_AUTH_TIME,
    SESSION_SSO,
)

SESSION_PENDING = "sso_pending"
PENDING_LIMIT = 5
PENDING_SECONDS = 900


def _sso_session(request: HttpRequest) -> bool:
    return sso.enabled() and bool(request.session.get(SESSION_SSO))


def required(request: HttpRequest) -> bool:
    """Whether this session must sign in at the provider again before signing."""
    if not _sso_session(request):
        return False
    auth_time = request.session.get(SESSION_AUTH_TIME)
    if not isinstance(auth_time, int | float):
        return True
    return time.time() - auth_time > settings.OIDC_STEP_UP_SECONDS


def require_fresh(request: HttpRequest) -> None:
    """For the API: refuse a signature from a single sign-on browser session whose
    provider sign-in is too old (a page sends it through the provider; an API
    call cannot follow). Token-authenticated calls have no such session."""
    if required(request):
        seconds = settings.OIDC_STEP_UP_SECONDS
        raise PermissionDenied(
            f"This needs a sign-in at {settings.OIDC_PROVIDER_NAME} in the last "
            f"{seconds} seconds: sign in again, then retry."
        )


def authentication(request: HttpRequest) -> dict | None:
    """The provider sign-in behind this session, to store with a signature."""
    if not _sso_session(request):
        return None
    auth_time = request.session.get(SESSION_AUTH_TIME)
    return {
        "auth_time": (
            datetime.datetime.fromtimestamp(auth_time, tz=datetime.UTC)
            if isinstance(auth_time, int | float)
            else None
        ),
        "acr": request.session.get(SESSION_ACR, ""),
        "amr": request.session.get(SESSION_AMR, []),
    }


def detour(request: HttpRequest, *, fields: dict, summary: str) -> HttpResponse:
    """Keep the decision, and send the browser to sign in at the provider again."""
    pending = {
        token: entry
        for token, entry in request.session.get(SESSION_PENDING, {}).items()
        if entry["at"] > time.time() - PENDING_SECONDS
    }
    while len(pending) >= PENDING_LIMIT:
        pending.pop(min(pending, key=lambda t: pending[t]["at"]))
    token = secrets.token_urlsafe(16)
    pending[token] = {
        "path": request.path,
        "fields": {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"},
        "summary": summary,
        "at": time.time(),
    }
    request.session[SESSION_PENDING] = pending
    back = reverse("sso-continue", args=[token])
    url = (
        f"{reverse('oidc_authentication_init')}?{urlencode({'fresh': 1, 'next': back})}"
    )
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def pending(request: HttpRequest, token: str) -> dict | None:
    entry = request.session.get(SESSION_PENDING, {}).get(token)
    if entry is None or entry["at"] < time.time() - PENDING_SECONDS:
        return None
    return entry


def signed_in_at(request: HttpRequest) -> datetime.datetime | None:
    auth_time = request.session.get(SESSION_AUTH_TIME)
    if not isinstance(auth_time, int | float):
        return None
    return timezone.localtime(
        datetime.datetime.fromtimestamp(auth_time, tz=datetime.UTC)
    )
