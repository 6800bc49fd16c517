"""Encryption of probe secrets at rest, and resolving them for a run."""

import os

from apps.core import crypto


class SecretUnavailable(Exception):
    """The secret cannot be resolved: a missing variable or a changed key."""


def encrypt(secret: str) -> str:
    return crypto.encrypt("probe-secret", secret) if secret else ""


def resolve(*, secret_env: str, secret_encrypted: str) -> str:
    """The plain secret for a run; never logged, stored or shown."""
    if secret_env:
        value = os.environ.get(secret_env)
        if value is None:
            raise SecretUnavailable(
                f"the environment variable {secret_env} is not set on this worker"
            )
        return value
    if secret_encrypted:
        try:
            return crypto.decrypt("probe-secret", secret_encrypted)
        except crypto.Undecryptable:
            raise SecretUnavailable(
                "the stored secret cannot be decrypted (was PROBE_SECRET_KEY changed?)"
            ) from None
    return ""
