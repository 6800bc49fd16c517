"""Sign-in protection: failed attempts counted per user and per IP, then a lockout.

Counters live in the Django cache (Redis in production, so every web process
and pod shares them). `LockoutModelBackend` guards every password check, the
sign-in page and the admin's alike; `LoginView` tells a locked-out person why.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from apps.accounts import sso
from apps.accounts.signed_in import reused_user
from apps.audit import services as audit
from apps.core import context

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. Sign-in is locked for a while; "
    "try again in {wait}."
)


def _key(kind: str, scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"shipshape:login:{kind}:{scope}:{digest}"


def _scopes(username: str, ip: str | None) -> list[tuple[str, str, int]]:
    scopes = [("user", username.strip().lower(), settings.LOGIN_FAILURE_LIMIT)]
    if ip:
        scopes.append(("ip", ip, settings.LOGIN_IP_FAILURE_LIMIT))
    return [s for s in scopes if s[1]]


def client_ip(request: HttpRequest | None) -> str | None:
    return context.current().ip or (
        request.META.get("REMOTE_ADDR") if request is not None else None
    )


def locked(*, username: str, ip: str | None) -> bool:
    """True while the user name or the address is locked out."""
    keys = [_key("locked", scope, value) for scope, value, _ in _scopes(username, ip)]
    return bool(keys) and any(cache.get_many(keys).values())


def failure_recorded(*, username: str, ip: str | None) -> list[str]:
    """Count one failed attempt; lock whatever reached its limit, and audit it.

    Returns the scopes ("user", "ip") locked by this attempt. Counts expire
    LOGIN_LOCKOUT_SECONDS after the first failure of a series.
    """
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    newly_locked = []
    for scope, value, limit in _scopes(username, ip):
        counter = _key("failures", scope, value)
        cache.add(counter, 0, seconds)
        try:
            failures = cache.incr(counter)
        except ValueError:
            # The count expired between add() and incr(): this starts a new series.
            cache.set(counter, 1, seconds)
            failures = 1
        if failures >= limit and cache.add(_key("locked", scope, value), 1, seconds):
            cache.delete(counter)
            newly_locked.append(scope)
            audit.record(
                actor=None,
                actor_label="anonymous",
                action="auth.locked_out",
                target_type="auth.user" if scope == "user" else "ip",
                target_id=username[:150] if scope == "user" else ip or "",
                after={
                    "scope": scope,
                    "username": username[:150],
                    "ip": ip,
                    "failures": failures,
                    "seconds": seconds,
                },
            )
    return newly_locked


def success_recorded(*, username: str) -> None:
    """A correct password resets the user's count (not the address's)."""
    cache.delete(_key("failures", "user", username.strip().lower()))


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses locked-out users and addresses, and counts failures.

    Raising PermissionDenied stops authenticate() at once, even for the right
    password, so a locked account cannot be guessed through another form.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ):
        if username is None:
            username = kwargs.get(self._username_field(), "")
        if username is None or password is None:
            return None
        ip = client_ip(request)
        if locked(username=username, ip=ip):
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            failure_recorded(username=username, ip=ip)
        else:
            success_recorded(username=username)
            if not sso.local_login_allowed(user):
                # Single sign-on is on and passwords are off, or for
                # superusers only (OIDC_LOCAL_LOGIN=break-glass).
                return None
        return user

    def get_user(self, user_id):
        """The session's user, reused for a moment (apps.accounts.signed_in)."""
        return reused_user(
            user_id, lambda: super(LockoutModelBackend, self).get_user(user_id)
        )

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class LoginView(auth_views.LoginView):
    """Django's sign-in page, answering 429 with the reason while locked out."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso"] = sso.enabled()
        context["sso_provider"] = settings.OIDC_PROVIDER_NAME
        context["local_login"] = (
            "true" if not sso.enabled() else settings.OIDC_LOCAL_LOGIN
        )
        return context

    def form_invalid(self, form) -> HttpResponse:
        username = self.request.POST.get("username", "")
        if locked(username=username, ip=client_ip(self.request)):
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
            form.errors.pop("__all__", None)
            form.add_error(None, LOCKED_MESSAGE.format(wait=wait))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_invalid(form)
