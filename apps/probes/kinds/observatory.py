"""A score and letter grade computed as MDN's HTTP Observatory computes them.

This follows scoring algorithm version 5 of mdn/mdn-http-observatory (the
1.6.x scanner): the modifiers, thresholds and quirks of its code, which
decides a result where its published table says otherwise. Every page starts
at 100 and each of the ten tests adds one modifier. The penalties come first;
only when they leave 90 or more are the bonuses added too. The score is never
below 0, and the grade is that of the score rounded down to a multiple of 5:
100 and above A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C, 45 C-, 40 D+,
30 D, 25 D-, below that F. The Observatory grades only a final status of 2xx,
3xx, 401 or 403.

The Observatory scans a host over both http:// and https://; a probe follows
one URL. So redirection is judged only from an http:// target whose redirects
were followed (two results of the probe's own, worth 0, say when it was not),
and the HSTS preload list is not consulted. CORS is judged from a preflight
request, as the Observatory does. docs/probes.md lists every rule.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from apps.probes.kinds import observatory_cookies, observatory_csp, observatory_html
from apps.probes.kinds.jsstrings import js_parse_int, js_trim

ALGORITHM_VERSION = 5

MODIFIERS = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-but-duplicate-directives": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
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
    # In the table, but a live scan never reaches it: see test_cors().
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    "redirection-all-redirects-preloaded": 0,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-missing": -20,
    "redirection-not-to-https": -20,
    "redirection-invalid-cert": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-preloaded": 5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    "html-not-parseable": -20,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 5,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "corp-not-implemented": 0,
    "corp-implemented-with-cross-origin": 0,
    "corp-implemented-with-same-origin": 10,
    "corp-implemented-with-same-site": 10,
    "corp-header-invalid": -5,
    # The probe's own results, for what one fetch cannot judge.
    "redirection-not-checked-target-is-https": 0,
    "redirection-not-checked-redirects-not-followed": 0,
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
MINIMUM_SCORE = 0
# The Observatory's code: "15768000 is six months, but a lot of sites use
# 15552000, so a white lie is in order". Its table text still says 15768000.
SIX_MONTHS = 15_552_000
PROBE_ORIGIN = "https://probe.shipshape.invalid"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PRIVATE_POLICIES = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_UNSAFE_POLICIES = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


@dataclass(frozen=True)
class Page:
    """One fetched page, as the Observatory's tests need to see it.

    `redirect_chain` is every URL requested, the target first and `url` last.
    `set_cookies` pairs each response URL of the chain with each of its
    Set-Cookie values (None: only the final response's). `preflight` holds
    the headers of a 2xx answer to the CORS preflight, None when there was
    none.
    """

    url: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    redirect_chain: Sequence[str]
    status_code: int = 200
    set_cookies: Sequence[tuple[str, str]] | None = None
    preflight: Sequence[tuple[str, str]] | None = None
    redirects_followed: bool = True

    @property
    def https(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    def values(self, name: str) -> list[str]:
        return _values(self.headers, name)

    def value(self, name: str) -> str | None:
        """The header as Node reads it: repeated fields joined by a comma."""
        return _joined(self.headers, name)

    @property
    def content_type(self) -> str | None:
        # Node keeps the first Content-Type and drops any repeat.
        found = self.values("content-type")
        return found[0] if found else None

    @functools.cached_property
    def markup(self) -> observatory_html.Markup:
        return observatory_html.read(self.body, self.content_type)

    @property
    def cookie_responses(self) -> Sequence[tuple[str, str]]:
        if self.set_cookies is not None:
            return self.set_cookies
        return [(self.url, value) for value in self.values("set-cookie")]


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _joined(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    found = _values(headers, name)
    return ", ".join(found) if found else None


def scorable(status_code: int) -> bool:
    """Whether the Observatory grades a page that answered with this status."""
    return 200 <= status_code < 400 or status_code in (401, 403)


def score(page: Page) -> dict:
    """Run every test on a page: the tests, the score and the grade.

    Score and grade are None for a status the Observatory refuses to grade.
    """
    hsts = test_hsts(page)
    csp = analyse_csp(page)
    tests = {
        "content-security-policy": csp.result,
        "cookies": test_cookies(
            page, hsts == "hsts-implemented-max-age-at-least-six-months"
        ),
        "cross-origin-resource-sharing": test_cors(page),
        "redirection": test_redirection(page),
        "referrer-policy": test_referrer_policy(page),
        "strict-transport-security": hsts,
        "subresource-integrity": test_sri(page),
        "x-content-type-options": test_nosniff(page),
        "x-frame-options": test_frame_options(page, csp),
        "cross-origin-resource-policy": test_corp(page),
    }
    modifiers = {name: MODIFIERS[result] for name, result in tests.items()}
    total = 100 + sum(value for value in modifiers.values() if value < 0)
    if total >= BONUS_THRESHOLD:
        total += sum(value for value in modifiers.values() if value > 0)
    total = max(total, MINIMUM_SCORE)
    graded = scorable(page.status_code)
    return {
        "algorithm_version": ALGORITHM_VERSION,
        "score": total if graded else None,
        "grade": grade_for(total) if graded else None,
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


def analyse_csp(page: Page) -> observatory_csp.CspAnalysis:
    return observatory_csp.analyse(
        page.values("content-security-policy"),
        page.markup.csp,
        https=page.https,
        report_only=bool(page.value("content-security-policy-report-only")),
    )


def test_csp(page: Page) -> str:
    return analyse_csp(page).result


def test_cookies(page: Page, hsts_ok: bool) -> str:
    return observatory_cookies.test_cookies(
        page.cookie_responses, page.values("set-cookie"), hsts_ok=hsts_ok
    )


def test_cors(page: Page) -> str:
    """CORS from the preflight's answer: `*` is public access whatever else is sent.

    The Observatory calls a reflected Origin with credentials universal access
    (-50), but it looks for the Origin it sent on the request object, where
    Node's ClientRequest exposes no headers: a live scan never finds it, and
    such a page scores as restricted access (0).
    """
    if page.preflight is None:
        return "cross-origin-resource-sharing-not-implemented"
    allowed = _joined(page.preflight, "access-control-allow-origin")
    if not allowed:
        return "cross-origin-resource-sharing-not-implemented"
    if js_trim(allowed[:256]).lower() == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access"
    return "cross-origin-resource-sharing-implemented-with-restricted-access"


def test_redirection(page: Page) -> str:
    chain = list(page.redirect_chain) or [page.url]
    urls = [urlsplit(url) for url in chain]
    if urls[0].scheme == "https":
        return "redirection-not-checked-target-is-https"
    if len(urls) == 1:
        if not page.redirects_followed and page.status_code in REDIRECT_STATUSES:
            return "redirection-not-checked-redirects-not-followed"
        return "redirection-missing"
    if urls[-1].scheme != "https":
        return "redirection-not-to-https"
    if urls[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection"
    if urls[0].hostname != urls[1].hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


def test_referrer_policy(page: Page) -> str:
    """The last recognised policy of the headers then `<meta name="referrer">`."""
    values = [*page.values("referrer-policy"), *page.markup.referrer]
    if not values:
        return "referrer-policy-not-implemented"
    known = [
        token
        for token in ", ".join(values).split(",")
        if js_trim(token.lower()) in (*_PRIVATE_POLICIES, *_UNSAFE_POLICIES)
    ]
    policy = js_trim(known[-1].lower()) if known else ""
    if policy in _PRIVATE_POLICIES:
        return "referrer-policy-private"
    if policy in _UNSAFE_POLICIES:
        return "referrer-policy-unsafe"
    return "referrer-policy-header-invalid"


def test_hsts(page: Page) -> str:
    """HSTS on an HTTPS page: a comma (two headers) or no max-age is invalid.

    max-age is read as JavaScript's parseInt reads it, so `max-age=abc` is NaN,
    which is not less than six months.
    """
    if not page.https:
        return "hsts-not-implemented-no-https"
    value = page.value("strict-transport-security")
    if value is None:
        return "hsts-not-implemented"
    value = value[:1024]
    if "," in value:
        return "hsts-header-invalid"
    max_age = None
    for parameter in value.split(";"):
        parameter = js_trim(parameter).lower()
        if parameter.startswith("max-age="):
            max_age = js_parse_int(parameter[8:128])
    if max_age is None:
        return "hsts-header-invalid"
    if max_age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months"
    return "hsts-implemented-max-age-at-least-six-months"


def test_sri(page: Page) -> str:
    chain = list(page.redirect_chain) or [page.url]
    return observatory_html.test_sri(
        page.markup.scripts,
        page.content_type,
        site_host=urlsplit(chain[0]).hostname or "",
        https=page.https,
    )


def test_nosniff(page: Page) -> str:
    value = page.value("x-content-type-options")
    if not value:
        return "x-content-type-options-not-implemented"
    if js_trim(value[:256]).lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


def test_frame_options(
    page: Page, csp: observatory_csp.CspAnalysis | None = None
) -> str:
    """X-Frame-Options; any CSP frame-ancestors the CSP test parsed overrides it."""
    csp = csp or analyse_csp(page)
    if csp.directives and "frame-ancestors" in csp.directives:
        return "x-frame-options-implemented-via-csp"
    value = page.value("x-frame-options")
    if not value:
        return "x-frame-options-not-implemented"
    value = js_trim(value[:1024]).lower()
    if value in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if value.startswith("allow-from"):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


def test_corp(page: Page) -> str:
    """Cross-Origin-Resource-Policy; a repeated header is one invalid value."""
    value = js_trim((page.value("cross-origin-resource-policy") or "")[:256]).lower()
    if not value:
        return "corp-not-implemented"
    if value in ("same-origin", "same-site", "cross-origin"):
        return f"corp-implemented-with-{value}"
    return "corp-header-invalid"
