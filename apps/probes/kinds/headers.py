"""The headers probe kind: findings, a score and a grade for security headers."""

from __future__ import annotations

from typing import Any

from apps.probes.kinds import domains, observatory
from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.fetch import fetch
from apps.probes.kinds.headerparse import Cookie, hsts_max_age, parse_csp
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeFailure, Result, worst

TRACKED = (
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)
HSTS_MIN_SECONDS = 180 * 24 * 3600
PREFLIGHT_BODY_CAP = 64 * 1024


def _prepare(local_credentials: bool) -> None:
    """Load the Public Suffix List before the deadline starts (see base.py)."""
    domains.load()


@probe_kind(
    {"follow_redirects"},
    prepare=_prepare,
    required=("missing", "findings"),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Fetch a URL and judge its security headers, naming each header and why.

    Fail: HSTS missing or invalid on HTTPS, X-Content-Type-Options not
    `nosniff`, no clickjacking protection (neither CSP frame-ancestors nor
    X-Frame-Options), or CORS that allows any origin together with
    credentials. Warn: `unsafe-inline` or `unsafe-eval` in script-src,
    wildcard CSP sources, no CSP at all, HSTS under 180 days, a missing or
    leaky Referrer-Policy, and cookies without Secure, HttpOnly or SameSite.
    The observed score and grade are those of MDN's HTTP Observatory
    (algorithm version 5), which also sends a CORS preflight to the final URL.
    """
    follow_redirects = options.boolean("follow_redirects", True)
    fetched = fetch(
        target,
        deadline=context.deadline,
        allowed=context.allowed,
        ca_file=context.ca_file,
        headers={"Origin": observatory.PROBE_ORIGIN},
        follow_redirects=follow_redirects,
    )
    preflight, preflight_status = _preflight(
        fetched.hops[-1].url, context, follow_redirects=follow_redirects
    )
    page = observatory.Page(
        url=fetched.hops[-1].url,
        headers=list(fetched.headers.multi_items()),
        body=fetched.body,
        redirect_chain=[hop.url for hop in fetched.hops],
        status_code=fetched.status_code,
        set_cookies=[
            (hop.url, cookie) for hop in fetched.hops for cookie in hop.set_cookies
        ],
        preflight=preflight,
        redirects_followed=follow_redirects,
    )
    findings = judge(page)
    scored = observatory.score(page)
    present = {name.lower() for name, _ in page.headers}
    observed: dict[str, Any] = {
        "status_code": fetched.status_code,
        "final_url": page.url,
        "missing": [name for name in TRACKED if name not in present],
        "findings": findings,
        "algorithm_version": scored["algorithm_version"],
        "score": scored["score"],
        "grade": scored["grade"],
        "tests": scored["tests"],
        "cors_preflight_status": preflight_status,
        "headers": {name: page.value(name) for name in TRACKED if name in present},
    }
    status = worst(finding["severity"] for finding in findings)
    failing = [f for f in findings if f["severity"] == status and status != "pass"]
    if scored["grade"] is None:
        grade = f"no Observatory grade for HTTP {fetched.status_code}"
    else:
        grade = f"Observatory {scored['grade']} ({scored['score']})"
    if status == "pass":
        return Result("pass", f"security headers in order; {grade}", observed)
    reasons = "; ".join(finding["message"] for finding in failing[:3])
    more = f" (+{len(failing) - 3} more)" if len(failing) > 3 else ""
    return Result(status, f"{reasons}{more}; {grade}", observed)


def _preflight(
    url: str, context: ProbeContext, *, follow_redirects: bool
) -> tuple[list[tuple[str, str]] | None, int | None]:
    """Send the Observatory's CORS preflight; its headers if it answered 2xx.

    As in the Observatory, a preflight that fails or answers otherwise means
    no CORS at all, and never fails the probe.
    """
    try:
        answered = fetch(
            url,
            deadline=context.deadline,
            allowed=context.allowed,
            ca_file=context.ca_file,
            method="OPTIONS",
            headers={
                "Origin": observatory.PROBE_ORIGIN,
                "Access-Control-Request-Method": "GET",
            },
            follow_redirects=follow_redirects,
            body_cap=PREFLIGHT_BODY_CAP,
        )
    except ProbeFailure:
        return None, None
    if not 200 <= answered.status_code < 300:
        return None, answered.status_code
    return list(answered.headers.multi_items()), answered.status_code


def _finding(header: str, severity: str, message: str) -> dict[str, str]:
    return {"header": header, "severity": severity, "message": message}


def judge(page: observatory.Page) -> list[dict[str, str]]:
    """The findings for a page: one per problem, each naming its header and why."""
    findings = []
    hsts = page.value("strict-transport-security")
    if not page.https:
        findings.append(
            _finding(
                "strict-transport-security",
                "warn",
                "page is served over plain HTTP, so HSTS cannot apply",
            )
        )
    elif hsts is None:
        findings.append(
            _finding(
                "strict-transport-security", "fail", "HSTS missing on an HTTPS page"
            )
        )
    else:
        max_age = hsts_max_age(hsts)
        if max_age is None:
            findings.append(
                _finding(
                    "strict-transport-security", "fail", "HSTS header is not valid"
                )
            )
        elif max_age < HSTS_MIN_SECONDS:
            findings.append(
                _finding(
                    "strict-transport-security",
                    "warn",
                    f"HSTS max-age {max_age} is under 180 days ({HSTS_MIN_SECONDS})",
                )
            )
    findings += _csp_findings(page)
    nosniff = page.value("x-content-type-options")
    if nosniff is None or nosniff.strip().lower() != "nosniff":
        shown = "missing" if nosniff is None else f"{nosniff!r}, not nosniff"
        findings.append(
            _finding(
                "x-content-type-options",
                "fail",
                f"X-Content-Type-Options {shown}: browsers may sniff content types",
            )
        )
    policies = parse_csp(page.values("content-security-policy")) or []
    frame_ancestors = any("frame-ancestors" in policy for policy in policies)
    xfo = (page.value("x-frame-options") or "").strip().lower()
    if not frame_ancestors and xfo not in ("deny", "sameorigin"):
        shown = "missing" if not xfo else f"{xfo!r} is not DENY or SAMEORIGIN"
        findings.append(
            _finding(
                "x-frame-options",
                "fail",
                f"no clickjacking protection: CSP frame-ancestors absent and "
                f"X-Frame-Options {shown}",
            )
        )
    findings += _referrer_findings(page)
    findings += _cookie_findings(page)
    findings += _cors_findings(page)
    return findings


def _csp_findings(page: observatory.Page) -> list[dict[str, str]]:
    header = "content-security-policy"
    values = page.values(header)
    if not values:
        return [_finding(header, "warn", "Content-Security-Policy missing")]
    policies = parse_csp(values)
    if policies is None:
        return [_finding(header, "warn", "Content-Security-Policy cannot be parsed")]
    findings = []
    for policy in policies:
        script = policy.get("script-src", policy.get("default-src"))
        if script is None:
            findings.append(
                _finding(
                    header, "warn", "CSP does not restrict scripts (no script-src)"
                )
            )
            continue
        lowered = [source.lower() for source in script]
        if "'unsafe-inline'" in lowered:
            findings.append(
                _finding(header, "warn", "CSP allows 'unsafe-inline' in script-src")
            )
        if "'unsafe-eval'" in lowered:
            findings.append(
                _finding(header, "warn", "CSP allows 'unsafe-eval' in script-src")
            )
        wildcards = sorted(
            {
                f"{directive} {source}"
                for directive, sources in policy.items()
                for source in sources
                if source in ("*", "http:", "https:") or source.startswith("*")
                if directive != "frame-ancestors" or source == "*"
            }
        )
        if wildcards:
            findings.append(
                _finding(
                    header, "warn", f"CSP has wildcard sources: {', '.join(wildcards)}"
                )
            )
    return findings


def _referrer_findings(page: observatory.Page) -> list[dict[str, str]]:
    result = observatory.test_referrer_policy(page)
    header = "referrer-policy"
    if result == "referrer-policy-not-implemented":
        return [_finding(header, "warn", "Referrer-Policy missing")]
    if result == "referrer-policy-unsafe":
        value = page.value(header)
        return [_finding(header, "warn", f"Referrer-Policy {value!r} leaks URLs")]
    if result == "referrer-policy-header-invalid":
        return [_finding(header, "warn", "Referrer-Policy not recognised")]
    return []


def _cookie_findings(page: observatory.Page) -> list[dict[str, str]]:
    findings = []
    for value in page.values("set-cookie"):
        cookie = Cookie.parse(value)
        if cookie is None:
            continue
        missing = []
        if not cookie.secure:
            missing.append("Secure")
        if cookie.session and not cookie.httponly:
            missing.append("HttpOnly")
        if cookie.samesite is None:
            missing.append("SameSite")
        if missing:
            findings.append(
                _finding(
                    "set-cookie",
                    "warn",
                    f"cookie {cookie.name} lacks {', '.join(missing)}",
                )
            )
        elif cookie.samesite_invalid:
            findings.append(
                _finding(
                    "set-cookie",
                    "warn",
                    f"cookie {cookie.name} has SameSite={cookie.samesite}",
                )
            )
    return findings


def _cors_findings(page: observatory.Page) -> list[dict[str, str]]:
    origin = (page.value("access-control-allow-origin") or "").strip()
    credentials = (page.value("access-control-allow-credentials") or "").strip()
    if credentials.lower() != "true":
        return []
    if origin == "*":
        message = "Access-Control-Allow-Origin * together with credentials"
    elif origin == observatory.PROBE_ORIGIN:
        message = "CORS reflects any Origin and allows credentials"
    else:
        return []
    return [_finding("access-control-allow-origin", "fail", message)]
