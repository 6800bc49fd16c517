"""Personal API tokens: creating and revoking them, and Bearer authentication."""

import copy
import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from apps.accounts import checked as checks
from apps.accounts.models import ApiToken
from apps.accounts.permissions import load_roles
from apps.accounts.sso import services as sso_services
from apps.audit import services as audit
from apps.core import moments

PREFIX = "shp_"
MAX_TOKENS_PER_USER = 50
# last_used_at is written at most this often, so a busy script does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    """The stored form of a token. The secret has 256 bits, so no salt or KDF."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, read_only: bool = False, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """Create a token for the user and return it with its secret, shown only now.

    Refuses an empty name, an expiry in the past, and more than fifty live tokens.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Name the token in 1 to 100 characters."})
    if expires_at is not None:
        expires_at = moments.moment_check(expires_at, field="expires_at")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose an expiry in the future."})
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if live >= MAX_TOKENS_PER_USER:
        raise ValidationError("Revoke a token before creating another.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        token_hash=token_hash(secret),
        read_only=read_only,
        expires_at=expires_at,
    )
    audit.record(
        actor=user,
        action="api_token.created",
        target=token,
        after={
            "name": name,
            "prefix": token.prefix,
            "read_only": read_only,
            "expires_at": expires_at,
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token at once. Only its owner (or a superuser) may; twice is a no-op."""
    if token.user_id != by.pk and not by.is_superuser:
        raise PermissionDenied("This is not your token.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=by,
        action="api_token.revoked",
        target=token,
        before={"revoked": False},
        after={"name": token.name, "prefix": token.prefix, "revoked": True},
    )
    return token


def token_list_for_user(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer shp_…`; refuses unknown, expired and revoked tokens.

    A successful check is reused by this process for up to API_AUTH_CACHE_MS
    (default and most 1000): pipelines poll every few seconds, and reading the
    token, its owner and their single sign-on identity cost a polled answer
    more than answering it. Expiry is checked on every request.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as 'Authorization: Bearer <token>'."
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_secret(secret)

    def authenticate_secret(self, secret: str) -> tuple[User, ApiToken]:
        """The token's user, or AuthenticationFailed saying why not; for callers
        that carry the token elsewhere than the header (Flagger's metadata)."""
        digest = token_hash(secret)
        checked = checks.get(digest)
        if checked is None or checked.until <= time.monotonic():
            checked = self._check(digest)
        token, now = checked.token, timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            checks.drop(digest)
            raise exceptions.AuthenticationFailed("This token has expired.")
        self._note_use(token, now)
        # The owner is shared by this process's requests until the check ends;
        # each request gets its own copy (per-request caches live on it).
        return copy.copy(checked.user), token

    def _check(self, digest: str) -> checks.Checked:
        """Read the token and its owner; AuthenticationFailed unless both are
        good. The check may be reused until API_AUTH_CACHE_MS after the read
        began, so it never outlives a change committed after the read."""
        started = time.monotonic()
        token = (
            ApiToken.objects.select_related("user", "user__oidc_identity")
            .filter(token_hash=digest)
            .first()
        )
        now = timezone.now()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not sso_services.api_access_allowed(token.user):
            # Single sign-on: the provider deactivated the owner, or the role
            # map no longer gives them any team (apps/accounts/sso/sweep.py).
            raise exceptions.AuthenticationFailed(
                "This token's owner no longer has access to Shipshape."
            )
        # The owner's roles are read with the token and relied on as long.
        load_roles(token.user)
        checked = checks.Checked(
            token=token,
            user=token.user,
            until=started + settings.API_AUTH_CACHE_MS / 1000,
        )
        if settings.API_AUTH_CACHE_MS:
            checks.keep(digest, checked)
        return checked

    def _note_use(self, token: ApiToken, now: datetime) -> None:
        """Record when the token was last used, at most once a minute."""
        if token.last_used_at is None or now - token.last_used_at > (
            LAST_USED_RESOLUTION
        ):
            ApiToken.objects.filter(pk=token.pk).update_unchecked(last_used_at=now)
            token.last_used_at = now

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenScope(permissions.BasePermission):
    """A read-only token may only read."""

    message = "This token is read-only."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True
