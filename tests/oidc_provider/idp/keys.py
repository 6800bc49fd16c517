"""The provider's RS256 signing key: made at start, replaced when a test rotates it.

django-oauth-toolkit reads the key from its settings object on every use (signing,
JWKS, checking an id_token_hint), so replacing it there replaces it everywhere. The
provider runs as one process, which makes that object the single source of truth.
"""

import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_lock = threading.Lock()


def new_private_key_pem() -> str:
    """A fresh 2048-bit RSA private key in PEM, as django-oauth-toolkit expects."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


def kid_of(pem: str) -> str:
    """The key id the provider publishes for a key (its RFC 7638 thumbprint)."""
    from oauth2_provider.utils import jwk_from_pem

    return jwk_from_pem(pem).thumbprint()


def rotate(*, keep_old: bool) -> dict[str, object]:
    """Sign with a new key from now on; the old one leaves the JWKS unless kept."""
    from oauth2_provider.settings import oauth2_settings

    with _lock:
        old = oauth2_settings.OIDC_RSA_PRIVATE_KEY
        kept = (
            [old, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE] if keep_old else []
        )
        oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE = kept
        oauth2_settings.OIDC_RSA_PRIVATE_KEY = new_private_key_pem()
        current = oauth2_settings.OIDC_RSA_PRIVATE_KEY
    return {
        "kid": kid_of(current),
        "previous_kid": kid_of(old),
        "published": [kid_of(current), *(kid_of(pem) for pem in kept)],
    }
