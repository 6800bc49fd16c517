"""The OpenID provider as Shipshape sees it: discovery, signing keys, settings.

The discovery document and the JWKS are cached in the shared cache for an hour.
A token signed under a kid the cached JWKS does not have makes one re-fetch
(at most every KEY_REFETCH_SECONDS), so a rotated key is picked up at once and
a stream of forged kids cannot hammer the provider.
"""

import hashlib
import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

log = logging.getLogger(__name__)

TIMEOUT = 10
CACHE_SECONDS = 3600
KEY_REFETCH_SECONDS = 30
# Asymmetric algorithms only: "none" and HS* (keyed with the client secret) never.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be fetched."""


def _key(kind: str) -> str:
    digest = hashlib.sha256(settings.OIDC_ISSUER.encode()).hexdigest()[:24]
    return f"shipshape:oidc:{kind}:{digest}"


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {error}") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return document


def discovery(*, fresh: bool = False) -> dict:
    """The issuer's /.well-known/openid-configuration, checked and cached."""
    key = _key("discovery")
    document = None if fresh else cache.get(key)
    if document is None:
        issuer = settings.OIDC_ISSUER
        document = _get_json(f"{issuer}/.well-known/openid-configuration")
        if document.get("issuer", "").rstrip("/") != issuer:
            raise ProviderUnavailable(
                f"the discovery document names issuer {document.get('issuer')!r}, "
                f"not OIDC_ISSUER {issuer!r}"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not document.get(field):
                raise ProviderUnavailable(f"the discovery document has no {field}")
        cache.set(key, document, CACHE_SECONDS)
    return document


def jwks(*, fresh: bool = False) -> dict:
    """The provider's published keys, cached."""
    key = _key("jwks")
    keys = None if fresh else cache.get(key)
    if keys is None:
        keys = _get_json(discovery()["jwks_uri"])
        if not isinstance(keys.get("keys"), list):
            raise ProviderUnavailable("the JWKS has no keys")
        cache.set(key, keys, CACHE_SECONDS)
    return keys


def _find(keys: dict, kid: str | None, alg: str) -> dict | None:
    for jwk in keys.get("keys", []):
        if kid is not None and jwk.get("kid") != kid:
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
            continue
        return jwk
    return None


def signing_key(token: str) -> jwt.PyJWK:
    """The published key that signed this token; refuses what nothing signed."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SuspiciousOperation("the ID token is not a JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise SuspiciousOperation(f"the ID token's algorithm {alg!r} is not allowed")
    kid = header.get("kid")
    jwk = _find(jwks(), kid, alg)
    if jwk is None and cache.add(_key("refetch"), 1, KEY_REFETCH_SECONDS):
        jwk = _find(jwks(fresh=True), kid, alg)
    if jwk is None:
        raise SuspiciousOperation(f"no published key has kid {kid!r}")
    return jwt.PyJWK(jwk, algorithm=alg)


def verify_id_token(token: str, *, nonce: str | None) -> dict:
    """Check signature, issuer, audience, expiry and nonce; return the claims."""
    key = signing_key(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            audience=settings.OIDC_CLIENT_ID,
            issuer=settings.OIDC_ISSUER,
            leeway=60,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        raise SuspiciousOperation(f"the ID token is refused: {error}") from None
    azp = claims.get("azp")
    if azp is not None and azp != settings.OIDC_CLIENT_ID:
        raise SuspiciousOperation("the ID token was issued to another client")
    if nonce is None or claims.get("nonce") != nonce:
        raise SuspiciousOperation("the ID token's nonce is not the one sent")
    return claims


# What mozilla-django-oidc asks its settings for, answered from Shipshape's
# OIDC_* settings and the discovery document.
_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def library_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's get_settings(), for Shipshape's configuration."""
    if attr in _DISCOVERED:
        try:
            return discovery().get(_DISCOVERED[attr], "")
        except ProviderUnavailable as error:
            raise ImproperlyConfigured(
                f"OpenID provider unavailable: {error}"
            ) from None
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_TOKEN_USE_BASIC_AUTH": True,
        "OIDC_TIMEOUT": TIMEOUT,
        "OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS": settings.OIDC_REFRESH_SECONDS,
        "OIDC_CREATE_USER": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
        "OIDC_EXEMPT_URLS": [],
    }
    if attr in fixed:
        return fixed[attr]
    return getattr(settings, attr, *default)
