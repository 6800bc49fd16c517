"""Probe secrets: encryption at rest, the variables a probe may name, resolving them.

A probe's secret travels to the probe's target, a host its team chooses, so a
probe may name only an environment variable the operator set aside for probes:
one whose name starts with SHIPSHAPE_PROBE_SECRET_, or one listed in the
setting PROBE_SECRET_ENV_ALLOWED. Anything else of the web or worker process
(SECRET_KEY, DATABASE_URL, PROBE_SECRET_KEY, cloud credentials) is refused when
a configuration is saved, and again here when a run resolves it, for rows
saved before the rule existed.
"""

import os
import re

from django.conf import settings

from apps.core import crypto

ENV_PREFIX = "SHIPSHAPE_PROBE_SECRET_"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretUnavailable(Exception):
    """The secret cannot be resolved: a refused or missing variable, a changed key."""


def encrypt(secret: str) -> str:
    return crypto.encrypt("probe-secret", secret) if secret else ""


def env_name_refusal(name: str) -> str | None:
    """Why a probe may not read the environment variable `name`, or None if it may."""
    if not _ENV_NAME.match(name):
        return "Name an environment variable (letters, digits, _)."
    if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
        return None
    if name in settings.PROBE_SECRET_ENV_ALLOWED:
        return None
    return (
        f"{name} is not set aside for probe secrets: use a variable whose name "
        f"starts with {ENV_PREFIX}, or one the operator lists in "
        "PROBE_SECRET_ENV_ALLOWED."
    )


def resolve(*, secret_env: str, secret_encrypted: str) -> str:
    """The plain secret for a run; never logged, stored or shown.

    Refuses (SecretUnavailable) a variable that is not set aside for probes,
    whatever the stored configuration says, so nothing is sent.
    """
    if secret_env:
        refusal = env_name_refusal(secret_env)
        if refusal:
            raise SecretUnavailable(f"secret refused, nothing was sent: {refusal}")
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
