"""A score and letter grade computed the way MDN's HTTP Observatory computes them.

Every site starts at 100. Each test contributes one modifier; penalties are
applied first, and bonuses (positive modifiers) only when the penalised score
is 90 or more. The grade comes from the score rounded down to a multiple of 5:
100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C, 45 C-, 40 D+, 30 D,
25 D-, below that F. The modifiers follow the Observatory's published table.
Two tests differ because a probe makes one request: redirection is judged only
when the target itself is an http:// URL, and the HSTS preload list is not
consulted (so the preload bonus is never given).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from apps.probes.kinds.headerparse import (
    Cookie,
    hsts_max_age,
    last_referrer_policy,
    parse_csp,
)

MODIFIERS = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-not-found": 0,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-not-checked-target-is-https": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-missing": -20,
    "redirection-not-to-https": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-header-invalid": -20,
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "cross-origin-resource-policy-not-implemented": 0,
    "cross-origin-resource-policy-implemented-with-cross-origin": 0,
    "cross-origin-resource-policy-implemented-with-same-origin": 10,
    "cross-origin-resource-policy-implemented-with-same-site": 10,
    "cross-origin-resource-policy-header-invalid": -5,
}

GRADE_CHART = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)
BONUS_THRESHOLD = 90
SIX_MONTHS = 15768000
PROBE_ORIGIN = "https://probe.shipshape.invalid"
_ACTIVE = (
    "default-src",
    "script-src",
    "style-src",
    "object-src",
    "connect-src",
    "frame-src",
    "child-src",
    "worker-src",
    "font-src",
    "manifest-src",
    "form-action",
    "base-uri",
)
_PASSIVE = ("img-src", "media-src")
_BROAD = {"*", "http:", "https:", "http://*", "https://*"}
_PRIVATE_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
_UNSAFE_POLICIES = {
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
}
_NONCE_OR_HASH = re.compile(r"^'(nonce-|sha256-|sha384-|sha512-)", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One fetched page, as the Observatory tests need to see it."""

    url: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    redirect_chain: Sequence[str]

    @property
    def https(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    def value(self, name: str) -> str | None:
        values = self.values(name)
        return ", ".join(values) if values else None


def score(page: Page) -> dict:
    """Run every test on a page and return the tests, the score and the grade."""
    hsts = test_hsts(page)
    tests = {
        "content-security-policy": test_csp(page),
        "cookies": test_cookies(page, hsts.startswith("hsts-implemented-max-age-at")),
        "cross-origin-resource-sharing": test_cors(page),
        "redirection": test_redirection(page),
        "referrer-policy": test_referrer_policy(page),
        "strict-transport-security": hsts,
        "subresource-integrity": test_sri(page),
        "x-content-type-options": test_nosniff(page),
        "x-frame-options": test_frame_options(page),
        "cross-origin-resource-policy": test_corp(page),
    }
    modifiers = {name: MODIFIERS[result] for name, result in tests.items()}
    total = 100 + sum(value for value in modifiers.values() if value < 0)
    if total >= BONUS_THRESHOLD:
        total += sum(value for value in modifiers.values() if value > 0)
    total = max(total, 0)
    return {
        "score": total,
        "grade": grade_for(total),
        "tests": {
            name: {"result": result, "modifier": modifiers[name]}
            for name, result in tests.items()
        },
    }


def grade_for(total: int) -> str:
    """The letter for a score: round down to a multiple of 5, 100 and above is A+."""
    for minimum, letter in GRADE_CHART:
        if total >= minimum:
            return letter
    return "F"


def test_csp(page: Page) -> str:
    values = page.values("content-security-policy")
    if not values:
        return "csp-not-implemented"
    policies = parse_csp(values)
    if policies is None:
        return "csp-header-invalid"
    # Browsers enforce every policy, so the strictest one decides.
    results = [_csp_policy(policy, page.https) for policy in policies]
    return max(results, key=lambda result: MODIFIERS[result])


def _csp_policy(policy: dict[str, list[str]], https: bool) -> str:
    default = policy.get("default-src")
    script = policy.get("script-src", default)
    objects = policy.get("object-src", default)
    style = policy.get("style-src", default)
    if script is None or objects is None:
        return "csp-implemented-with-unsafe-inline"
    lowered = [source.lower() for source in script]
    nonce_or_hash = any(_NONCE_OR_HASH.match(source) for source in script)
    inline = "'unsafe-inline'" in lowered and not nonce_or_hash
    if inline or "data:" in lowered or _broad(script) or _broad(objects):
        return "csp-implemented-with-unsafe-inline"
    if https and _insecure(policy, _ACTIVE):
        return "csp-implemented-with-insecure-scheme"
    if "'unsafe-eval'" in lowered:
        return "csp-implemented-with-unsafe-eval"
    if https and _insecure(policy, _PASSIVE):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only"
    style_sources = [source.lower() for source in style or []]
    if style is not None and (
        "'unsafe-inline'" in style_sources or "data:" in style_sources or _broad(style)
    ):
        return "csp-implemented-with-unsafe-inline-in-style-src-only"
    form_action = [source.lower() for source in policy.get("form-action", [])]
    default_none = default and [source.lower() for source in default] == ["'none'"]
    if default_none and form_action in (["'none'"], ["'self'"]):
        return "csp-implemented-with-no-unsafe-default-src-none"
    return "csp-implemented-with-no-unsafe"


def _broad(sources: list[str] | None) -> bool:
    return any(source.lower() in _BROAD for source in sources or [])


def _insecure(policy: dict[str, list[str]], directives: Sequence[str]) -> bool:
    return any(
        source.lower() == "http:" or source.lower().startswith("http://")
        for directive in directives
        for source in policy.get(directive, [])
    )


def test_cookies(page: Page, hsts_ok: bool) -> str:
    cookies = [Cookie.parse(value) for value in page.values("set-cookie")]
    cookies = [cookie for cookie in cookies if cookie is not None]
    if not cookies:
        return "cookies-not-found"
    insecure = not page.https
    protected = hsts_ok and not insecure
    found = []
    for cookie in cookies:
        secure = cookie.secure and not insecure
        if cookie.session and not secure:
            found.append(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if protected
                else "cookies-session-without-secure-flag"
            )
        if cookie.session and not cookie.httponly:
            found.append("cookies-session-without-httponly-flag")
        if cookie.anticsrf and not cookie.samesite:
            found.append("cookies-anticsrf-without-samesite-flag")
        if cookie.samesite_invalid:
            found.append("cookies-samesite-flag-invalid")
        if not secure:
            found.append(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if protected
                else "cookies-without-secure-flag"
            )
    if found:
        return min(found, key=MODIFIERS.__getitem__)
    if all(cookie.samesite for cookie in cookies):
        return "cookies-secure-with-httponly-sessions-and-samesite"
    return "cookies-secure-with-httponly-sessions"


def test_cors(page: Page) -> str:
    origin = (page.value("access-control-allow-origin") or "").strip()
    credentials = (page.value("access-control-allow-credentials") or "").strip()
    if not origin:
        return "cross-origin-resource-sharing-not-implemented"
    if origin == "*":
        if credentials.lower() == "true":
            return "cross-origin-resource-sharing-implemented-with-universal-access"
        return "cross-origin-resource-sharing-implemented-with-public-access"
    if origin == PROBE_ORIGIN and credentials.lower() == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access"
    return "cross-origin-resource-sharing-implemented-with-restricted-access"


def test_redirection(page: Page) -> str:
    chain = list(page.redirect_chain) or [page.url]
    first = urlsplit(chain[0])
    if first.scheme == "https":
        return "redirection-not-checked-target-is-https"
    if len(chain) == 1:
        return "redirection-missing"
    final = urlsplit(chain[-1])
    if final.scheme != "https":
        return "redirection-not-to-https"
    second = urlsplit(chain[1])
    if second.scheme != "https":
        return "redirection-not-to-https-on-initial-redirection"
    if second.hostname != first.hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


def test_referrer_policy(page: Page) -> str:
    value = page.value("referrer-policy")
    if value is None:
        return "referrer-policy-not-implemented"
    policy = last_referrer_policy(value)
    if policy in _PRIVATE_POLICIES:
        return "referrer-policy-private"
    if policy in _UNSAFE_POLICIES:
        return "referrer-policy-unsafe"
    return "referrer-policy-header-invalid"


def test_hsts(page: Page) -> str:
    if not page.https:
        return "hsts-not-implemented-no-https"
    value = page.value("strict-transport-security")
    if value is None:
        return "hsts-not-implemented"
    max_age = hsts_max_age(value)
    if max_age is None:
        return "hsts-header-invalid"
    if max_age >= SIX_MONTHS:
        return "hsts-implemented-max-age-at-least-six-months"
    return "hsts-implemented-max-age-less-than-six-months"


class _Scripts(HTMLParser):
    """Collects the src and integrity attributes of every <script> element."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_sri(page: Page) -> str:
    content_type = (page.value("content-type") or "").lower()
    if "html" not in content_type:
        return "sri-not-implemented-response-not-html"
    parser = _Scripts()
    parser.feed(page.body.decode("utf-8", "replace"))
    own = urlsplit(page.url)
    external, insecure, with_sri = [], [], []
    for script in parser.scripts:
        src = (script.get("src") or "").strip()
        if not src:
            continue
        target = urlsplit(src)
        if src.startswith("//") or target.scheme == "http":
            insecure.append(src)
        if target.netloc and target.hostname != own.hostname:
            external.append(src)
            if script.get("integrity"):
                with_sri.append(src)
    if not [script for script in parser.scripts if script.get("src")]:
        return "sri-not-implemented-but-no-scripts-loaded"
    if with_sri:
        if insecure:
            return "sri-implemented-but-external-scripts-not-loaded-securely"
        if len(with_sri) == len(external):
            return "sri-implemented-and-external-scripts-loaded-securely"
    if insecure:
        return "sri-not-implemented-and-external-scripts-not-loaded-securely"
    if external:
        return "sri-not-implemented-but-external-scripts-loaded-securely"
    return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"


def test_nosniff(page: Page) -> str:
    value = page.value("x-content-type-options")
    if value is None:
        return "x-content-type-options-not-implemented"
    if value.strip().lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


def test_frame_options(page: Page) -> str:
    policies = parse_csp(page.values("content-security-policy")) or []
    if any("frame-ancestors" in policy for policy in policies):
        return "x-frame-options-implemented-via-csp"
    value = page.value("x-frame-options")
    if value is None:
        return "x-frame-options-not-implemented"
    value = value.strip().lower()
    if value in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if value.startswith("allow-from "):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


def test_corp(page: Page) -> str:
    value = page.value("cross-origin-resource-policy")
    if value is None:
        return "cross-origin-resource-policy-not-implemented"
    value = value.strip().lower()
    if value in ("same-origin", "same-site", "cross-origin"):
        return f"cross-origin-resource-policy-implemented-with-{value}"
    return "cross-origin-resource-policy-header-invalid"
