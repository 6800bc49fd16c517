"""Encryption of webhook secrets at rest. They must be readable to sign bodies."""

import base64
import binascii
import secrets

from apps.core import crypto

PREFIX = "whsec_"


class SecretUnavailable(Exception):
    """The stored secret cannot be decrypted: the key was changed."""


def generate() -> str:
    """A new secret in Standard Webhooks' form: whsec_ and base64 of 32 bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature: the base64 after whsec_,
    decoded, as the spec's libraries read it; a secret not in that form (one a
    lead chose, or generated before) is used as its UTF-8 bytes."""
    if secret.startswith(PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if key:
            return key
    return secret.encode()


def encrypt(secret: str) -> str:
    return crypto.encrypt("webhook-secret", secret)


def decrypt(token: str) -> str:
    try:
        return crypto.decrypt("webhook-secret", token)
    except crypto.Undecryptable:
        raise SecretUnavailable(
            "the webhook secret cannot be decrypted (was the key changed?)"
        ) from None
