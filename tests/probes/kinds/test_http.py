"""The http kind against real loopback HTTP and HTTPS servers."""

from __future__ import annotations

import time

from tests.probes.kinds.conftest import probe


def test_healthy_endpoint_passes(url) -> None:
    result = probe("http", url("/health"))

    assert result.status == "pass"
    assert result.summary.startswith("200 OK in ")
    assert result.observed["status_code"] == 200
    assert result.observed["latency_ms"] < 500


def test_https_endpoint_passes_with_the_ca_file(https_server, ca_file) -> None:
    result = probe(
        "http", f"https://localhost:{https_server.port}/health", ca_file=ca_file
    )

    assert result.status == "pass"
    assert result.observed["status_code"] == 200


def test_https_with_a_name_resolved_by_dns_checks_the_certificate_name(
    https_server, ca_file
) -> None:
    result = probe(
        "http", f"https://shop.test:{https_server.port}/health", ca_file=ca_file
    )

    assert result.status == "pass"
    assert result.observed["address"] == "127.0.0.1"


def test_untrusted_certificate_fails(untrusted_server, ca_file) -> None:
    result = probe(
        "http", f"https://localhost:{untrusted_server.port}/health", ca_file=ca_file
    )

    assert result.status == "fail"
    assert "TLS certificate of localhost" in result.summary
    assert "unable to get local issuer certificate" in result.summary


def test_certificate_for_another_name_fails(wrong_host_server, ca_file) -> None:
    result = probe(
        "http", f"https://localhost:{wrong_host_server.port}/", ca_file=ca_file
    )

    assert result.status == "fail"
    assert "Hostname mismatch" in result.summary


def test_503_health_fails(url) -> None:
    result = probe("http", url("/health503"))

    assert result.status == "fail"
    assert result.summary.startswith("status 503 Service Unavailable (expected 2xx")
    assert result.observed["status_code"] == 503


def test_expected_status_set_can_accept_a_503(url) -> None:
    result = probe("http", url("/health503"), expect_status="503")

    assert result.status == "pass"


def test_slow_response_over_budget_warns(url) -> None:
    result = probe("http", url("/slow"), max_latency_ms="50")

    assert result.status == "warn"
    assert "exceeds 50 ms" in result.summary
    assert result.observed["latency_ms"] >= 100


def test_samples_report_p50_and_p95(url) -> None:
    result = probe("http", url("/health"), samples="5")

    assert result.status == "pass"
    assert result.observed["samples"] == 5
    assert len(result.observed["latencies_ms"]) == 5
    assert result.observed["p50_ms"] <= result.observed["p95_ms"]
    assert "p95" in result.summary


def test_body_substring_is_checked(url) -> None:
    found = probe("http", url("/"), body_contains="Welcome to the shop")
    missing = probe("http", url("/"), body_contains="Closed for maintenance")

    assert found.status == "pass"
    assert missing.status == "fail"
    assert "body does not contain 'Closed for maintenance'" in missing.summary


def test_json_field_is_checked(url) -> None:
    ok = probe("http", url("/health"), json_field="checks.db.up", json_equals="true")
    wrong = probe("http", url("/health"), json_field="status", json_equals="degraded")
    absent = probe("http", url("/health"), json_field="checks.cache")

    assert ok.status == "pass"
    assert wrong.status == "fail"
    assert "JSON field status is 'ok', expected 'degraded'" in wrong.summary
    assert absent.status == "fail"
    assert "JSON field checks.cache is missing" in absent.summary


def test_three_redirects_are_followed(url) -> None:
    # Four requests, timed together: in a full suite run they once took more
    # than the default 500 ms budget, a warning this test is not about.
    result = probe("http", url("/redirect/3"), max_latency_ms="5000")

    assert result.status == "pass"
    assert len(result.observed["redirects"]) == 3
    assert result.observed["final_url"].endswith("/redirect/0")


def test_a_fourth_redirect_fails(url) -> None:
    result = probe("http", url("/redirect/4"))

    assert result.status == "fail"
    assert result.summary == "more than 3 redirects (last to /redirect/0)"


def test_redirects_need_not_be_followed(url) -> None:
    result = probe("http", url("/redirect/2"), follow_redirects="false")

    assert result.status == "pass"
    assert result.observed["status_code"] == 302


def test_bearer_token_is_sent_and_redacted(http_server, url) -> None:
    before = len(http_server.requests)

    result = probe("http", url("/echo"), token="s3cret-token-value")

    assert result.status == "pass"
    assert http_server.requests[before][2]["authorization"] == (
        "Bearer s3cret-token-value"
    )
    assert "s3cret-token-value" not in str(result.to_dict("http", url("/echo")))


def test_token_does_not_follow_a_redirect_to_another_origin(
    http_server, https_server, ca_file, resolver
) -> None:
    resolver.names["other.test"] = ["127.0.0.1"]
    elsewhere = f"http://other.test:{http_server.port}/echo"
    start = f"https://localhost:{https_server.port}/redirect-to?url={elsewhere}"
    before = len(http_server.requests)

    result = probe("http", start, token="s3cret-token-value", ca_file=ca_file)

    assert result.status == "pass"
    assert "authorization" not in http_server.requests[before][2]


def test_endless_body_is_capped_at_one_mebibyte_and_fails(url) -> None:
    result = probe("http", url("/endless"))

    assert result.status == "fail"
    assert result.summary == "the response body exceeded the 1 MiB cap; reading stopped"
    assert result.observed["body_bytes"] == 1024 * 1024
    assert result.observed["body_truncated"] is True


def test_refused_port_fails(closed) -> None:
    result = probe("http", f"http://127.0.0.1:{closed}/")

    assert result.status == "fail"
    assert result.summary == f"connection refused by 127.0.0.1:{closed}"
    assert result.observed == {"status_code": None, "latency_ms": None}


def test_hanging_server_is_cut_off_at_the_deadline(url) -> None:
    started = time.monotonic()

    result = probe("http", url("/hang"), timeout=1)

    elapsed = time.monotonic() - started
    assert result.status == "fail"
    assert result.summary.startswith("deadline of 1 s exceeded")
    # Never before the deadline; well before the hang's 60 s after it, with a
    # second's slack for a loaded machine.
    assert 0.9 <= elapsed < 2.0


def test_server_dripping_a_byte_every_half_second_is_cut_off(url) -> None:
    started = time.monotonic()

    result = probe("http", url("/drip"), timeout=1.2)

    elapsed = time.monotonic() - started
    assert result.status == "fail"
    assert result.summary.startswith("deadline of 1.2 s exceeded")
    assert 1.1 <= elapsed < 2.2


def test_server_dripping_its_headers_is_cut_off(drip_server) -> None:
    started = time.monotonic()

    result = probe("http", f"http://127.0.0.1:{drip_server.port}/", timeout=1)

    assert result.status == "fail"
    assert "deadline of 1 s exceeded" in result.summary
    assert time.monotonic() - started < 2.0


def test_bad_options_are_errors(url) -> None:
    assert probe("http", url("/"), samples="0").status == "error"
    assert probe("http", url("/"), method="DELETE").status == "error"
    assert probe("http", url("/"), expect_status="2yy").status == "error"
    unknown = probe("http", url("/"), colour="blue")
    assert unknown.status == "error"
    assert unknown.summary.startswith("unknown option colour (accepted: ")
