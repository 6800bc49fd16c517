"""Encryption of webhook secrets at rest. They must be readable to sign bodies."""

import secrets

from apps.core import crypto

PREFIX = "whsec_"


class SecretUnavailable(Exception):
    """The stored secret cannot be decrypted: the key was changed."""


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def encrypt(secret: str) -> str:
    return crypto.encrypt("webhook-secret", secret)


def decrypt(token: str) -> str:
    try:
        return crypto.decrypt("webhook-secret", token)
    except crypto.Undecryptable:
        raise SecretUnavailable(
            "the webhook secret cannot be decrypted (was the key changed?)"
        ) from None
