"""The tls kind against real loopback TLS servers with trustme certificates."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from apps.probes.kinds.tlsgrade import TLSFacts, grade
from tests.probes.kinds.conftest import probe


def test_valid_certificate_passes_with_an_a_plus(https_server, ca_file) -> None:
    result = probe("tls", f"localhost:{https_server.port}", ca_file=ca_file)

    assert result.status == "pass"
    observed = result.observed
    assert observed["chain_trusted"] is True
    assert observed["hostname_matches"] is True
    assert observed["protocol"] == "TLSv1.3"
    assert observed["versions"] == {
        "TLSv1": False,
        "TLSv1.1": False,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }
    assert observed["key_type"] == "EC"
    assert observed["key_bits"] == 256
    assert observed["signature_algorithm"] == "ecdsa-with-SHA256"
    assert observed["hsts_max_age"] == 31536000
    assert observed["grade"] == "A+"
    assert observed["forward_secrecy"] is True
    assert observed["aead"] is True
    assert "grade A+" in result.summary
    not_after = dt.datetime.fromisoformat(observed["not_after"])
    assert not_after.tzinfo is not None
    assert observed["days_remaining"] > 30


def test_without_the_ca_file_the_chain_is_untrusted(https_server) -> None:
    result = probe("tls", f"localhost:{https_server.port}")

    assert result.status == "fail"
    assert result.observed["chain_trusted"] is False
    assert result.observed["grade"] == "F"
    assert result.observed["grade_cap"] == "certificate chain not trusted"
    assert "chain not trusted (unable to get local issuer certificate)" in (
        result.summary
    )


def test_untrusted_issuer_fails(untrusted_server, ca_file) -> None:
    result = probe("tls", f"localhost:{untrusted_server.port}", ca_file=ca_file)

    assert result.status == "fail"
    assert result.observed["chain_trusted"] is False
    assert result.observed["subject"]


def test_expired_certificate_fails(expired_server, ca_file) -> None:
    result = probe("tls", f"localhost:{expired_server.port}", ca_file=ca_file)

    assert result.status == "fail"
    assert "certificate expired 2 days ago" in result.summary
    assert result.observed["days_remaining"] == -2
    assert result.observed["chain_trusted"] is True
    assert result.observed["grade"] == "F"
    assert result.observed["grade_cap"] == "certificate expired"


def test_not_yet_valid_certificate_fails(future_server, ca_file) -> None:
    result = probe("tls", f"localhost:{future_server.port}", ca_file=ca_file)

    assert result.status == "fail"
    assert "certificate not valid before" in result.summary
    assert result.observed["grade"] == "F"


def test_ten_days_left_warns(ten_days_server, ca_file) -> None:
    result = probe("tls", f"localhost:{ten_days_server.port}", ca_file=ca_file)

    assert result.status == "warn"
    assert result.observed["days_remaining"] == 10
    assert "certificate expires in 10 days (under 30)" in result.summary


def test_three_days_left_fails(three_days_server, ca_file) -> None:
    result = probe("tls", f"localhost:{three_days_server.port}", ca_file=ca_file)

    assert result.status == "fail"
    assert result.observed["days_remaining"] == 3
    assert "certificate expires in 3 days (under 7)" in result.summary


def test_expiry_thresholds_are_adjustable(three_days_server, ca_file) -> None:
    result = probe(
        "tls",
        f"localhost:{three_days_server.port}",
        ca_file=ca_file,
        warn_days="5",
        fail_days="1",
    )

    assert result.status == "warn"
    assert "certificate expires in 3 days (under 5)" in result.summary


def test_wrong_host_name_fails(wrong_host_server, ca_file) -> None:
    result = probe("tls", f"localhost:{wrong_host_server.port}", ca_file=ca_file)

    assert result.status == "fail"
    assert result.observed["hostname_matches"] is False
    assert result.observed["chain_trusted"] is True
    assert "certificate does not match localhost" in result.summary


def test_server_name_option_sets_sni_and_the_checked_name(
    wrong_host_server, ca_file
) -> None:
    result = probe(
        "tls",
        f"127.0.0.1:{wrong_host_server.port}",
        ca_file=ca_file,
        server_name="other.example",
    )

    assert result.observed["hostname_matches"] is True
    assert result.observed["server_name"] == "other.example"


def test_ip_address_target_matches_an_ip_san(https_server, ca_file) -> None:
    result = probe("tls", f"127.0.0.1:{https_server.port}", ca_file=ca_file)

    assert result.status == "pass"
    assert result.observed["hostname_matches"] is True


def test_legacy_versions_accepted_warn_and_cap_the_grade_at_b(
    legacy_server, ca_file
) -> None:
    result = probe("tls", f"localhost:{legacy_server.port}", ca_file=ca_file)

    assert result.status == "warn"
    assert result.observed["versions"] == {
        "TLSv1": True,
        "TLSv1.1": True,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }
    assert result.observed["grade"] == "B"
    assert result.observed["grade_cap"] == "TLSv1 and TLSv1.1 accepted"
    assert "TLS 1.0 and TLS 1.1 still accepted" in result.summary


def test_hsts_check_can_be_skipped(https_server, ca_file) -> None:
    result = probe(
        "tls", f"localhost:{https_server.port}", ca_file=ca_file, check_hsts="false"
    )

    assert result.observed["hsts_max_age"] is None
    assert result.observed["grade"] == "A"


def test_hanging_tls_server_is_cut_off_at_the_deadline(silent_server) -> None:
    started = time.monotonic()

    result = probe("tls", f"127.0.0.1:{silent_server.port}", timeout=1)

    assert result.status == "fail"
    assert "deadline of 1 s exceeded" in result.summary
    assert time.monotonic() - started < 2.0


def test_refused_port_fails(closed) -> None:
    result = probe("tls", f"127.0.0.1:{closed}")

    assert result.status == "fail"
    assert result.summary == f"connection refused by 127.0.0.1:{closed}"
    assert result.observed == {
        "not_after": None,
        "days_remaining": None,
        "hostname_matches": None,
        "chain_trusted": None,
        "protocol": None,
    }


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("localhost:99999", "port '99999' is not between 1 and 65535"),
        ("localhost:https", "port 'https' is not between 1 and 65535"),
        ("https://localhost/", "target must be host:port"),
        ("::1:443", "write an IPv6 address in brackets"),
        ("", "target is empty"),
    ],
)
def test_malformed_targets_are_errors(target: str, message: str) -> None:
    result = probe("tls", target)

    assert result.status == "error"
    assert message in result.summary


def _facts(**changes: object) -> TLSFacts:
    facts = {
        "accepted": {
            "TLSv1": False,
            "TLSv1.1": False,
            "TLSv1.2": True,
            "TLSv1.3": True,
        },
        "protocol": "TLSv1.3",
        "cipher": "TLS_AES_256_GCM_SHA384",
        "cipher_bits": 256,
        "key_type": "RSA",
        "key_bits": 2048,
        "chain_trusted": True,
        "hostname_matches": True,
        "expired": False,
        "not_yet_valid": False,
        "hsts_max_age": 31536000,
    }
    facts.update(changes)
    return TLSFacts(**facts)


@pytest.mark.parametrize(
    ("changes", "letter", "cap"),
    [
        ({}, "A+", None),
        ({"hsts_max_age": None}, "A", None),
        (
            {
                "accepted": {"TLSv1.2": True, "TLSv1.3": False},
                "protocol": "TLSv1.2",
                "cipher": "ECDHE-RSA-AES256-GCM-SHA384",
            },
            "A-",
            "TLS 1.3 not supported",
        ),
        ({"key_bits": 1024}, "B", "key under 2048 bits (1024)"),
        ({"key_bits": 512}, "F", "key under 1024 bits (512)"),
        (
            {
                "accepted": {"TLSv1.2": True},
                "protocol": "TLSv1.2",
                "cipher": "AES256-GCM-SHA384",
            },
            "B",
            "no forward secrecy",
        ),
        (
            {
                "accepted": {"TLSv1.2": True},
                "protocol": "TLSv1.2",
                "cipher": "ECDHE-RSA-AES256-SHA384",
            },
            "B",
            "no AEAD cipher",
        ),
        (
            {
                "accepted": {"TLSv1": True, "TLSv1.1": False, "TLSv1.2": False},
                "protocol": "TLSv1",
                "cipher": "ECDHE-RSA-AES256-SHA",
            },
            "C",
            "TLS 1.2 not supported",
        ),
        ({"hostname_matches": False}, "F", "certificate does not match the host name"),
        ({"expired": True}, "F", "certificate expired"),
    ],
)
def test_grade_caps_are_named(changes: dict, letter: str, cap: str | None) -> None:
    graded = grade(_facts(**changes))

    assert graded.letter == letter
    assert graded.cap == cap


def test_grade_score_weights_protocol_key_and_cipher() -> None:
    # Protocol 100 * 0.3 + RSA 2048 key 90 * 0.3 + 256-bit cipher 100 * 0.4.
    assert grade(_facts()).score == 97
    # A 128-bit cipher scores 80, and EC P-256 counts as RSA 3072 (90).
    assert grade(_facts(cipher_bits=128, key_type="EC", key_bits=256)).score == 89
