"""Encryption at rest for secrets the app reads back (probes, webhooks, GitLab).

The key comes from PROBE_SECRET_KEY, or is derived from SECRET_KEY so a bare
checkout works. Each use passes its own label, so a secret stored for one
purpose can never be decrypted as another. Rotating either key makes stored
secrets unreadable; they must be entered again.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class Undecryptable(Exception):
    """The stored value cannot be decrypted with the current key."""


def _fernet(label: str) -> Fernet:
    material = settings.PROBE_SECRET_KEY or f"derived:{settings.SECRET_KEY}"
    digest = hashlib.sha256(f"shipshape-{label}:".encode() + material.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(label: str, value: str) -> str:
    return _fernet(label).encrypt(value.encode()).decode()


def decrypt(label: str, token: str) -> str:
    try:
        return _fernet(label).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Undecryptable(label) from None
