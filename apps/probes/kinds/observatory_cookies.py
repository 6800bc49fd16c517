"""The cookies test of MDN's HTTP Observatory (algorithm version 5).

The Observatory judges the cookies its cookie jar (tough-cookie 5) kept over
the whole redirect chain, so a cookie the jar refuses is not judged at all: a
name-less cookie, a Domain that does not cover the host or is a public suffix
(or an IPv4 address), a `__Secure-` cookie without Secure, a `__Host-` cookie
without Secure, with a Domain or with a Path other than `/`. A later cookie of
the same name, domain and path replaces an earlier one; expired cookies stay.

Secure is read from the flag alone, even for a cookie set over plain HTTP. A
cookie is a session cookie when its name contains `sess` or `login`, and an
anti-CSRF token when it contains `csrf`. The final response's raw Set-Cookie
headers are also checked for a SameSite with no value or an unknown one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from apps.probes.kinds.domains import is_ip, registrable_domain
from apps.probes.kinds.jsstrings import js_trim

# From best to worst: the page keeps the worst of its findings in this order,
# which is the Observatory's and not the order of the modifiers.
ORDER = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)
IGNORED = frozenset({"heroku-session-affinity"})
SAMESITE_VALUES = ("strict", "lax", "none")
SPECIAL_USE = ("local", "example", "invalid", "localhost", "test")
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass
class JarCookie:
    """One cookie as the jar keeps it."""

    name: str
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None
    domain: str | None = None
    path: str | None = None


def parse_set_cookie(header: str) -> JarCookie | None:
    """Parse a Set-Cookie value as tough-cookie does in strict mode; None to refuse."""
    text = js_trim(header)
    if not text:
        return None
    semicolon = text.find(";")
    pair = text if semicolon == -1 else text[:semicolon]
    for terminator in ("\n", "\r", "\0"):
        if terminator in pair:
            pair = pair[: pair.index(terminator)]
    equals = pair.find("=")
    if equals <= 0:
        return None
    name, value = js_trim(pair[:equals]), js_trim(pair[equals + 1 :])
    if _CONTROL.search(name) or _CONTROL.search(value):
        return None
    cookie = JarCookie(name)
    if semicolon == -1:
        return cookie
    for attribute in text[semicolon + 1 :].split(";"):
        attribute = js_trim(attribute)
        if not attribute:
            continue
        key, has_value, raw = attribute.partition("=")
        key = js_trim(key).lower()
        argument = js_trim(raw) if has_value else ""
        if key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.httponly = True
        elif key == "samesite":
            lowered = argument.lower()
            cookie.samesite = lowered if lowered in SAMESITE_VALUES else None
        elif key == "domain" and argument:
            domain = js_trim(argument).removeprefix(".")
            if domain:
                cookie.domain = domain.lower()
        elif key == "path":
            cookie.path = argument if argument.startswith("/") else None
    return cookie


def _canonical(domain: str) -> str | None:
    domain = js_trim(domain).removeprefix(".")
    if domain.isascii():
        return domain.lower().strip("[]") if is_ip(domain) else domain.lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _domain_refused(domain: str) -> bool:
    """A Domain the jar refuses to store a cookie under: a public suffix."""
    labels = domain.split(".")
    if labels[-1] in SPECIAL_USE and (
        len(labels) > 1 or labels[-1] in ("localhost", "invalid")
    ):
        return False
    if ":" in domain and is_ip(domain):
        return False
    return registrable_domain(domain, private=True) is None


def _domain_matches(host: str, domain: str) -> bool:
    return host == domain or (host.endswith(f".{domain}") and not is_ip(host))


def _default_path(path: str) -> str:
    if not path.startswith("/") or path.rfind("/") == 0:
        return "/"
    return path[: path.rfind("/")]


def cookie_jar(responses: Sequence[tuple[str, str]]) -> list[JarCookie]:
    """The cookies a jar keeps from (response URL, Set-Cookie value) pairs, in order."""
    kept: dict[tuple[str, str, str], JarCookie] = {}
    for url, header in responses:
        cookie = parse_set_cookie(header)
        if cookie is None:
            continue
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        host_only = cookie.domain is None
        if cookie.domain is not None:
            domain = _canonical(cookie.domain)
            if (
                not domain
                or _domain_refused(domain)
                or not _domain_matches(host, domain)
            ):
                continue
            cookie.domain = domain
        else:
            cookie.domain = host
        if not cookie.path:
            cookie.path = _default_path(parts.path)
        if cookie.name.startswith("__Secure-") and not cookie.secure:
            continue
        if cookie.name.startswith("__Host-") and not (
            cookie.secure and host_only and cookie.path == "/"
        ):
            continue
        kept[(cookie.domain, cookie.path, cookie.name)] = cookie
    return [cookie for cookie in kept.values() if cookie.name not in IGNORED]


def samesite_malformed(header: str) -> bool:
    """The Observatory's raw check: a SameSite part with no value or an unknown one."""
    for part in js_trim(header).split(";"):
        key, *rest = js_trim(part).split("=")
        if key and js_trim(key).lower() == "samesite":
            value = rest[0] if rest else ""
            if not value or js_trim(value).lower() not in SAMESITE_VALUES:
                return True
    return False


def test_cookies(
    responses: Sequence[tuple[str, str]],
    final_headers: Sequence[str],
    *,
    hsts_ok: bool,
) -> str:
    """The cookies result for a redirect chain's Set-Cookie headers.

    `responses` pairs every response URL of the chain with each of its
    Set-Cookie values, `final_headers` are the last response's Set-Cookie
    values, and `hsts_ok` says whether the HSTS test passed.
    """
    found = [
        "cookies-samesite-flag-invalid"
        for header in final_headers
        if samesite_malformed(header)
    ]
    cookies = cookie_jar(responses)
    if not cookies:
        return "cookies-not-found"
    for cookie in cookies:
        lowered = cookie.name.lower()
        session = "login" in lowered or "sess" in lowered
        if not cookie.secure and cookie.samesite == "none":
            found.append("cookies-samesite-flag-invalid")
        if not cookie.secure:
            found.append(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_ok
                else "cookies-without-secure-flag"
            )
        if "csrf" in lowered and not cookie.samesite:
            found.append("cookies-anticsrf-without-samesite-flag")
        if session and not cookie.secure:
            found.append(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_ok
                else "cookies-session-without-secure-flag"
            )
        if session and not cookie.httponly:
            found.append("cookies-session-without-httponly-flag")
    if found:
        return max(found, key=ORDER.index)
    if all(cookie.samesite for cookie in cookies):
        return "cookies-secure-with-httponly-sessions-and-samesite"
    return "cookies-secure-with-httponly-sessions"
