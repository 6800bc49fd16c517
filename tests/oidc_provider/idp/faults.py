"""Fault modes: make the NEXT ID token the provider issues defective in one named way.

A test arms one fault; the next ID token is re-signed with the defect and the fault
is spent, so every token after it is sound again. Each defect is one an RP must
refuse: a key it cannot find, a signature that does not verify, another audience,
another issuer, an expired token, a nonce it never sent, or no signature at all.
"""

import base64
import functools
import json
import secrets
import threading
import time

from jwcrypto import jwk, jwt

FAULTS = {
    "unknown_key": "signed with a key that is not in the JWKS (its own kid)",
    "bad_signature": "signed with another key, but claiming the published kid",
    "wrong_aud": "aud names another client",
    "wrong_iss": "iss names another issuer",
    "expired": "exp (and iat) an hour in the past",
    "wrong_nonce": "nonce replaced by one the client never sent",
    "alg_none": "alg none and no signature",
}
IMPOSTOR_ISSUER = "http://impostor.invalid/o"
OTHER_AUDIENCE = "another-client"

_lock = threading.Lock()
_pending: str | None = None


def arm(name: str) -> None:
    """Make the next ID token defective in the named way (replacing any armed fault)."""
    global _pending
    if name not in FAULTS:
        known = ", ".join(sorted(FAULTS))
        raise ValueError(f"unknown fault {name!r}; known faults: {known}")
    with _lock:
        _pending = name


def disarm() -> str | None:
    """Drop the armed fault; return it if no ID token used it yet, else None."""
    global _pending
    with _lock:
        left, _pending = _pending, None
    return left


def _take() -> str | None:
    global _pending
    with _lock:
        taken, _pending = _pending, None
    return taken


@functools.cache
def _foreign_key() -> jwk.JWK:
    """A key the provider never publishes; made once, as RSA keys are slow to make."""
    return jwk.JWK.generate(kty="RSA", size=2048)


def _segment(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _encode(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def spoil_if_armed(token: str, *, key: jwk.JWK) -> str:
    """Return the signed ID token as is, or re-made with the armed fault, once."""
    fault = _take()
    if fault is None:
        return token
    head, body, _signature = token.split(".")
    header, claims = _segment(head), _segment(body)
    signer = key
    if fault in ("unknown_key", "bad_signature"):
        signer = _foreign_key()
        if fault == "unknown_key":
            header["kid"] = signer.thumbprint()
    elif fault == "wrong_aud":
        claims["aud"] = OTHER_AUDIENCE
    elif fault == "wrong_iss":
        claims["iss"] = IMPOSTOR_ISSUER
    elif fault == "expired":
        now = int(time.time())
        claims["iat"], claims["exp"] = now - 7200, now - 3600
    elif fault == "wrong_nonce":
        claims["nonce"] = f"replayed-{secrets.token_urlsafe(8)}"
    elif fault == "alg_none":
        header = {"alg": "none", "typ": "JWT", "kid": header.get("kid")}
        return f"{_encode(header)}.{_encode(claims)}."
    spoiled = jwt.JWT(header=header, claims=claims)
    spoiled.make_signed_token(signer)
    return spoiled.serialize()
