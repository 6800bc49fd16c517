"""Single sign-on with OpenID Connect, on mozilla-django-oidc (docs/sso.md).

provider.py: discovery, the JWKS (cached, re-fetched on an unknown kid) and the
settings the library asks for; rolemap.py: the role map, parsed and evaluated
without the database; services.py: the sign-in (identity, user, memberships,
audited); backend.py, views.py, middleware.py: the library's classes, bound to
them; stepup.py: the fresh sign-in a signature needs.
"""

from django.conf import settings


def enabled() -> bool:
    """Single sign-on is on when OIDC_ISSUER is set."""
    return bool(settings.OIDC_ISSUER)


def local_login_allowed(user) -> bool:
    """Whether this user may sign in with a password (OIDC_LOCAL_LOGIN)."""
    if not enabled():
        return True
    policy = settings.OIDC_LOCAL_LOGIN
    if policy == "true":
        return True
    if policy == "break-glass":
        return bool(user is not None and user.is_superuser)
    return False
