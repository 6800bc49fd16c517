"""Verifying a CI job's OpenID Connect ID token (GitLab `id_tokens`, GitHub Actions).

The token's `iss` must be one of CI_OIDC_ISSUERS; its key comes from the
issuer's JWKS, found through its discovery document. Both are cached per
process; a key id the cache does not know fetches the JWKS again, at most once
per REFETCH_INTERVAL, so a stream of forged kids cannot hammer the issuer.
Only asymmetric algorithms are accepted (never `none` or HS*, whose "key"
would be public). No models here; the claims are mapped by services.ci.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from django.conf import settings

TIMEOUT = 5.0
REFETCH_INTERVAL = 30.0
# Seconds of clock difference tolerated on exp, nbf and iat.
LEEWAY = 30
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class TokenRefused(Exception):
    """Why the token is not accepted; the message is safe to show the caller."""


@dataclass
class _Issuer:
    jwks_uri: str = ""
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0


_issuers: dict[str, _Issuer] = {}
_lock = threading.Lock()


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts, the first a JSON header: not a Shipshape API token."""
    return token.count(".") == 2 and token.startswith("eyJ")


def clear_cache() -> None:
    with _lock:
        _issuers.clear()


def verify(token: str) -> dict[str, Any]:
    """The token's claims once its signature, issuer, audience and times check out.

    Refuses (TokenRefused) an issuer not configured, an algorithm that is not
    asymmetric, a key the issuer does not publish, a wrong audience and an
    expired or not yet valid token.
    """
    issuers = settings.CI_OIDC_ISSUERS
    audience = settings.CI_OIDC_AUDIENCE
    if not issuers or not audience:
        raise TokenRefused("Keyless CI is not configured (CI_OIDC_ISSUERS).")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise TokenRefused("Not a JWT.") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise TokenRefused(f"The token's algorithm {algorithm!r} is not accepted.")
    issuer = str(unverified.get("iss", "")).rstrip("/")
    if issuer not in issuers:
        raise TokenRefused("The token's issuer is not one Shipshape trusts.")
    key = _key(issuer, str(header.get("kid", "")))
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=unverified.get("iss"),
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRefused("The token has expired.") from None
    except jwt.InvalidAudienceError:
        raise TokenRefused(
            "The token's audience is not this Shipshape (CI_OIDC_AUDIENCE)."
        ) from None
    except jwt.PyJWTError as error:
        raise TokenRefused(f"The token does not verify: {error}.") from None


def _key(issuer: str, kid: str) -> Any:
    with _lock:
        cached = _issuers.get(issuer)
        known = cached.keys.get(kid) if cached else None
        recent = cached and time.monotonic() - cached.fetched_at < REFETCH_INTERVAL
    if known is not None:
        return known
    if not recent:
        _fetch(issuer)
        with _lock:
            known = _issuers[issuer].keys.get(kid)
        if known is not None:
            return known
    raise TokenRefused("The token's key is not among the issuer's published keys.")


def _fetch(issuer: str) -> None:
    """Fetch the discovery document (once) and the JWKS of an issuer."""
    with _lock:
        entry = _issuers.setdefault(issuer, _Issuer())
        entry.fetched_at = time.monotonic()
        jwks_uri = entry.jwks_uri
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            if not jwks_uri:
                discovery = client.get(f"{issuer}/.well-known/openid-configuration")
                discovery.raise_for_status()
                jwks_uri = str(discovery.json()["jwks_uri"])
            response = client.get(jwks_uri)
            response.raise_for_status()
            published = response.json()["keys"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise TokenRefused("The token's issuer could not be reached.") from None
    keys: dict[str, Any] = {}
    for jwk in published:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        try:
            keys[str(jwk.get("kid", ""))] = jwt.PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    with _lock:
        entry.jwks_uri, entry.keys = jwks_uri, keys
