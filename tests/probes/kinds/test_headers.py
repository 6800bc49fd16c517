"""The headers kind against real servers, and the Observatory-style scoring."""

from __future__ import annotations

import pytest

from apps.probes.kinds import observatory
from tests.probes.kinds.conftest import probe


def _page(
    headers: list[tuple[str, str]], url: str = "https://shop.test/"
) -> observatory.Page:
    return observatory.Page(url=url, headers=headers, body=b"", redirect_chain=[url])


def test_good_headers_pass_with_an_a_plus(https_server, ca_file) -> None:
    result = probe(
        "headers",
        f"https://localhost:{https_server.port}/headers/good",
        ca_file=ca_file,
    )

    assert result.status == "pass"
    assert result.observed["missing"] == []
    assert result.observed["findings"] == []
    # 100, then the bonuses: CSP default-src 'none' +10, cookies +5,
    # Referrer-Policy +5, frame-ancestors +5, CORP same-origin +10.
    assert result.observed["score"] == 135
    assert result.observed["grade"] == "A+"
    assert result.summary == "security headers in order; Observatory A+ (135)"


def test_bad_headers_fail_and_name_each_header(https_server, ca_file) -> None:
    result = probe(
        "headers", f"https://localhost:{https_server.port}/headers/bad", ca_file=ca_file
    )

    assert result.status == "fail"
    assert result.observed["missing"] == [
        "strict-transport-security",
        "content-security-policy",
        "x-frame-options",
        "referrer-policy",
    ]
    by_header = {f["header"]: f for f in result.observed["findings"]}
    assert by_header["strict-transport-security"]["severity"] == "fail"
    assert by_header["x-content-type-options"]["message"] == (
        "X-Content-Type-Options 'sniff-away', not nosniff: browsers may sniff "
        "content types"
    )
    assert by_header["x-frame-options"]["severity"] == "fail"
    assert by_header["content-security-policy"]["severity"] == "warn"
    assert by_header["set-cookie"]["message"] == (
        "cookie sessionid lacks Secure, HttpOnly, SameSite"
    )
    assert result.observed["grade"] == "F"
    assert "HSTS missing on an HTTPS page" in result.summary


def test_unsafe_inline_in_script_src_warns(https_server, ca_file) -> None:
    result = probe(
        "headers",
        f"https://localhost:{https_server.port}/headers/unsafe-inline",
        ca_file=ca_file,
    )

    assert result.status == "warn"
    assert result.summary.startswith("CSP allows 'unsafe-inline' in script-src")
    tests = result.observed["tests"]
    assert tests["content-security-policy"] == {
        "result": "csp-implemented-with-unsafe-inline",
        "modifier": -20,
    }


def test_cors_wildcard_with_credentials_fails(https_server, ca_file) -> None:
    result = probe(
        "headers",
        f"https://localhost:{https_server.port}/headers/cors",
        ca_file=ca_file,
    )

    assert result.status == "fail"
    assert "Access-Control-Allow-Origin * together with credentials" in result.summary
    # Shipshape fails it; the Observatory scores `*` as public access whatever
    # Access-Control-Allow-Credentials says (browsers never send credentials).
    assert result.observed["tests"]["cross-origin-resource-sharing"]["modifier"] == 0


def test_plain_http_page_cannot_have_hsts(url) -> None:
    result = probe("headers", url("/headers/good"))

    hsts = result.observed["tests"]["strict-transport-security"]
    assert hsts == {"result": "hsts-not-implemented-no-https", "modifier": -20}
    assert result.observed["tests"]["redirection"]["result"] == "redirection-missing"


def test_blocked_target_is_refused(connections) -> None:
    result = probe("headers", "http://10.0.0.8/", allow=())

    assert result.status == "fail"
    assert result.summary == "blocked: 10.0.0.8 is private (RFC 1918)"
    assert connections == []


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (135, "A+"),
        (100, "A+"),
        (99, "A"),
        (90, "A"),
        (89, "A-"),
        (85, "A-"),
        (84, "B+"),
        (80, "B+"),
        (79, "B"),
        (70, "B"),
        (69, "B-"),
        (65, "B-"),
        (64, "C+"),
        (60, "C+"),
        (59, "C"),
        (50, "C"),
        (49, "C-"),
        (45, "C-"),
        (44, "D+"),
        (40, "D+"),
        (39, "D"),
        (30, "D"),
        (29, "D-"),
        (25, "D-"),
        (24, "F"),
        (0, "F"),
    ],
)
def test_grade_bands_follow_the_observatory_chart(score: int, grade: str) -> None:
    assert observatory.grade_for(score) == grade


def test_bonuses_apply_only_from_ninety() -> None:
    # Missing X-Content-Type-Options (-5) keeps 95, so the CORP bonus applies.
    above = _page(
        [
            ("Strict-Transport-Security", "max-age=31536000"),
            ("Content-Security-Policy", "default-src 'self'; object-src 'none'"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Resource-Policy", "same-site"),
        ]
    )
    # Missing XFO (-20) drops to 75 after the penalties: no bonus at all.
    below = _page(
        [
            ("Strict-Transport-Security", "max-age=31536000"),
            ("Content-Security-Policy", "default-src 'self'; object-src 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Cross-Origin-Resource-Policy", "same-site"),
        ]
    )

    # 100 - 5 = 95, then CSP +5, X-Frame-Options DENY +5 and CORP +10.
    assert observatory.score(above)["score"] == 115
    assert observatory.score(below)["score"] == 80


@pytest.mark.parametrize(
    ("policy", "result"),
    [
        (
            "default-src 'none'; form-action 'self'",
            "csp-implemented-with-no-unsafe-default-src-none",
        ),
        ("default-src 'self'", "csp-implemented-with-no-unsafe"),
        (
            "default-src 'self'; style-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (
            "default-src 'self'; script-src 'self' 'unsafe-eval'",
            "csp-implemented-with-unsafe-eval",
        ),
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline",
        ),
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'nonce-abc'",
            "csp-implemented-with-no-unsafe",
        ),
        ("default-src *", "csp-implemented-with-unsafe-inline"),
        ("script-src 'self'", "csp-implemented-with-unsafe-inline"),
        (
            "default-src 'self'; script-src http://cdn.example",
            "csp-implemented-with-insecure-scheme",
        ),
        (
            "default-src 'self'; img-src http:",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
        ("default-src 'self'; default-src 'none'", "csp-header-invalid"),
    ],
)
def test_csp_results_follow_the_observatory(policy: str, result: str) -> None:
    page = _page([("Content-Security-Policy", policy)])

    assert observatory.test_csp(page) == result


@pytest.mark.parametrize(
    ("cookie", "hsts", "result"),
    [
        (
            "sessionid=1; Secure; HttpOnly; SameSite=Strict",
            True,
            "cookies-secure-with-httponly-sessions-and-samesite",
        ),
        (
            "sessionid=1; Secure; HttpOnly",
            True,
            "cookies-secure-with-httponly-sessions",
        ),
        (
            "sessionid=1; Secure; SameSite=Lax",
            True,
            "cookies-session-without-httponly-flag",
        ),
        (
            "sessionid=1; HttpOnly; SameSite=Lax",
            False,
            "cookies-session-without-secure-flag",
        ),
        (
            "sessionid=1; HttpOnly; SameSite=Lax",
            True,
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        ("theme=dark; SameSite=Lax", False, "cookies-without-secure-flag"),
        ("csrftoken=1; Secure", True, "cookies-anticsrf-without-samesite-flag"),
        ("theme=dark; Secure; SameSite=Bogus", True, "cookies-samesite-flag-invalid"),
    ],
)
def test_cookie_results_follow_the_observatory(
    cookie: str, hsts: bool, result: str
) -> None:
    page = _page([("Set-Cookie", cookie)])

    assert observatory.test_cookies(page, hsts) == result


@pytest.mark.parametrize(
    ("chain", "result"),
    [
        (["http://shop.test/", "https://shop.test/"], "redirection-to-https"),
        (
            ["http://shop.test/", "https://www.shop.test/"],
            "redirection-off-host-from-http",
        ),
        (
            ["http://shop.test/", "http://www.shop.test/", "https://www.shop.test/"],
            "redirection-not-to-https-on-initial-redirection",
        ),
        (["http://shop.test/", "http://www.shop.test/"], "redirection-not-to-https"),
        (["http://shop.test/"], "redirection-missing"),
        (["https://shop.test/"], "redirection-not-checked-target-is-https"),
    ],
)
def test_redirection_results_follow_the_observatory(
    chain: list[str], result: str
) -> None:
    page = observatory.Page(url=chain[-1], headers=[], body=b"", redirect_chain=chain)

    assert observatory.test_redirection(page) == result


@pytest.mark.parametrize(
    ("body", "result"),
    [
        (b"<p>no scripts</p>", "sri-not-implemented-but-no-scripts-loaded"),
        (
            b'<script src="/app.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            b'<script src="https://cdn.example/x.js"></script>',
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            b'<script src="https://cdn.example/x.js" integrity="sha384-x"></script>',
            "sri-implemented-and-external-scripts-loaded-securely",
        ),
        (
            b'<script src="http://cdn.example/x.js"></script>',
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
    ],
)
def test_sri_results_follow_the_observatory(body: bytes, result: str) -> None:
    page = observatory.Page(
        url="https://shop.test/",
        headers=[("Content-Type", "text/html")],
        body=body,
        redirect_chain=["https://shop.test/"],
    )

    assert observatory.test_sri(page) == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("no-referrer", "referrer-policy-private"),
        ("unsafe-url", "referrer-policy-unsafe"),
        ("no-referrer-when-downgrade", "referrer-policy-unsafe"),
        ("origin, strict-origin", "referrer-policy-private"),
        ("sometimes", "referrer-policy-header-invalid"),
    ],
)
def test_referrer_policy_results(value: str, result: str) -> None:
    assert (
        observatory.test_referrer_policy(_page([("Referrer-Policy", value)])) == result
    )
