"""Parsers for the security headers the headers probe judges."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_DIRECTIVE_NAME = re.compile(r"^[a-z0-9-]+$")
_MAX_AGE = re.compile(r"^max-age\s*=\s*\"?(\d+)\"?$", re.IGNORECASE)
_SESSION_HINTS = ("sess", "login")


def parse_csp(values: Sequence[str]) -> list[dict[str, list[str]]] | None:
    """Parse Content-Security-Policy header values into policies.

    Each header, and each comma-separated part of one, is a separate policy;
    a policy maps lower-case directive names to their sources. A repeated
    directive is ignored after its first occurrence, as browsers do. Returns
    None when a policy cannot be parsed (an empty policy or a malformed name).
    """
    policies = []
    for value in values:
        for text in value.split(","):
            policy: dict[str, list[str]] = {}
            for part in text.split(";"):
                tokens = part.split()
                if not tokens:
                    continue
                name = tokens[0].lower()
                if not _DIRECTIVE_NAME.match(name):
                    return None
                policy.setdefault(name, tokens[1:])
            if not policy:
                return None
            policies.append(policy)
    return policies or None


def hsts_max_age(value: str) -> int | None:
    """The max-age of a Strict-Transport-Security value; None when it is invalid."""
    max_age = None
    for part in value.split(";"):
        part = part.strip()
        match = _MAX_AGE.match(part)
        if match:
            if max_age is not None:
                return None
            max_age = int(match.group(1))
    return max_age


@dataclass(frozen=True)
class Cookie:
    """The attributes of one Set-Cookie header that matter for security."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None

    @property
    def session(self) -> bool:
        """Whether the name suggests a session or login cookie (Observatory's rule)."""
        lowered = self.name.lower()
        return any(hint in lowered for hint in _SESSION_HINTS)

    @property
    def anticsrf(self) -> bool:
        return "csrf" in self.name.lower()

    @property
    def samesite_invalid(self) -> bool:
        return self.samesite is not None and self.samesite not in ("strict", "lax")

    @classmethod
    def parse(cls, header: str) -> Cookie | None:
        """Parse one Set-Cookie value; None when it has no name."""
        parts = header.split(";")
        name = parts[0].split("=", 1)[0].strip()
        if not name:
            return None
        secure = httponly = False
        samesite = None
        for attribute in parts[1:]:
            key, _, value = attribute.partition("=")
            key = key.strip().lower()
            if key == "secure":
                secure = True
            elif key == "httponly":
                httponly = True
            elif key == "samesite":
                samesite = value.strip().lower()
        return cls(name, secure, httponly, samesite)
