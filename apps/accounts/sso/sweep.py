"""The token check: people who hold API tokens, asked about at the provider.

A person who only uses API tokens never passes the browser's session refresh, so
every OIDC_TOKEN_CHECK_SECONDS (a Celery beat task) each of them with a live
token is checked with the provider: their refresh token is exchanged (refused:
the provider deactivated them, access ends) and userinfo applied to the role map,
as at a sign-in (a person left with no team has their tokens refused). Two calls
to the provider per such person per check; a provider that cannot be reached
changes nothing.
"""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import OidcIdentity
from apps.accounts.sso import provider, services
from apps.core import crypto

log = logging.getLogger(__name__)

ENDED = "ended"
CHECKED = "checked"
SKIPPED = "skipped"
LOCK = "shipshape:oidc:token-check"


def identities_to_check(now) -> list[OidcIdentity]:
    """Active identities of this issuer whose user holds a live API token and
    that were not checked in the last half interval."""
    recent = now - timedelta(seconds=settings.OIDC_TOKEN_CHECK_SECONDS / 2)
    live = Q(user__api_tokens__revoked_at__isnull=True) & (
        Q(user__api_tokens__expires_at__isnull=True)
        | Q(user__api_tokens__expires_at__gt=now)
    )
    return list(
        OidcIdentity.objects.filter(live, issuer=settings.OIDC_ISSUER, active=True)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=recent))
        .select_related("user")
        .distinct()
    )


def _ended(identity: OidcIdentity, reason: str) -> str:
    services.sso_access_end(identity=identity, reason=reason)
    return ENDED


def identity_check(identity: OidcIdentity) -> str:
    """Ask the provider about one person; ended, checked or skipped."""
    if not identity.refresh_token:
        return SKIPPED  # signed in before refresh tokens were kept
    try:
        refresh_token = crypto.decrypt(services.REFRESH_LABEL, identity.refresh_token)
        document = provider.discovery()
        answer = requests.post(
            document["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET),
            timeout=provider.TIMEOUT,
        )
        if answer.status_code in {400, 401}:
            error = answer.json().get("error") if answer.content else None
            if error == "invalid_grant":
                return _ended(identity, "the provider refused the refresh token")
            log.warning("token check: the provider answered %s", answer.text[:200])
            return SKIPPED
        answer.raise_for_status()
        tokens = answer.json()
        info = requests.get(
            document["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=provider.TIMEOUT,
        )
        if info.status_code == 401:
            return _ended(identity, "the provider refused the access token")
        info.raise_for_status()
        claims = info.json()
    except crypto.Undecryptable:
        return _ended(identity, "the stored refresh token cannot be read")
    except (provider.ProviderUnavailable, requests.RequestException, ValueError) as e:
        log.warning("token check skipped for %s: %s", identity, e)
        return SKIPPED
    except KeyError as error:
        log.warning("token check skipped for %s: no %s", identity, error)
        return SKIPPED
    if str(claims.get("sub")) != identity.subject:
        return _ended(identity, "the provider named another subject")
    try:
        services.sso_sign_in(
            issuer=identity.issuer,
            claims=claims,
            refresh_token=str(tokens.get("refresh_token") or refresh_token),
            token_check=True,
        )
    except services.SignInRefused as refused:
        # Memberships were already replaced; an unmapped person has none left,
        # so their tokens are refused (services.api_access_allowed).
        log.info("token check: %s refused (%s)", identity, refused.reason)
    return CHECKED


def sso_token_check() -> dict[str, int]:
    """Check every person due; counts by outcome."""
    counts = {ENDED: 0, CHECKED: 0, SKIPPED: 0}
    if not settings.OIDC_ISSUER:
        return counts
    # One check at a time: two exchanging one rotating refresh token at once
    # would see the provider refuse the second and end a person's access.
    if not cache.add(LOCK, 1, settings.OIDC_TOKEN_CHECK_SECONDS * 4):
        return counts
    try:
        for identity in identities_to_check(timezone.now()):
            counts[identity_check(identity)] += 1
    finally:
        cache.delete(LOCK)
    return counts
