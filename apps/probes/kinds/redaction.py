"""Hide passwords in DSNs, URLs and free text before anything is shown or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "***"

# The password part of `scheme://user:password@host` (it may be empty). It runs to
# the last "@" of the authority, so an unencoded "@" in a password is masked too.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/@\s:]*:)[^/\s]*@")
# A `password=...` pair in a key/value DSN or a query string, quoted or not.
_KV_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s&;]*)", re.IGNORECASE
)


def redact_target(text: str) -> str:
    """Mask URL userinfo passwords and `password=` values in a target string."""
    if not isinstance(text, str):
        return text
    text = _URL_PASSWORD.sub(lambda match: f"{match['head']}{MASK}@", text)
    return _KV_PASSWORD.sub(lambda match: f"{match['head']}{MASK}", text)


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Redact a value recursively: known secrets anywhere, and DSN-shaped passwords."""
    # Very short secrets are left alone: replacing every "ab" would mangle the
    # text, and the DSN patterns below still mask them where they are shown.
    wanted = {secret for secret in secrets if secret and len(secret) >= 4}
    return _scrub(value, sorted(wanted, key=len, reverse=True))


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return redact_target(value)
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    return value
