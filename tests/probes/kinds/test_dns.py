"""The dns kind through dnspython, against a real loopback DNS server.

The server (tests/probes/kinds/servers.py) answers UDP queries on 127.0.0.1
from a small zone, so no query ever leaves this machine. Its addresses are
only DNS data: nothing connects to them.
"""

from __future__ import annotations

import pytest

from tests.probes.kinds.conftest import probe
from tests.probes.kinds.servers import LoopbackDNSServer

ZONE = {
    "app.shop.test": [
        ("A", "192.0.2.10"),
        ("A", "192.0.2.11"),
        ("AAAA", "2001:db8::10"),
    ],
    "www.shop.test": [("CNAME", "app.shop.test")],
    "v4only.shop.test": [("A", "198.51.100.7")],
}


@pytest.fixture(scope="session")
def nameserver() -> str:
    server = LoopbackDNSServer(ZONE)
    return f"127.0.0.1:{server.port}"


def test_expected_addresses_pass(nameserver: str) -> None:
    result = probe(
        "dns",
        "app.shop.test",
        nameserver=nameserver,
        expected="192.0.2.11,192.0.2.10,2001:db8::10",
    )

    assert result.status == "pass"
    assert result.observed["records"] == {
        "A": ["192.0.2.10", "192.0.2.11"],
        "AAAA": ["2001:db8::10"],
    }
    assert result.observed["ttl"] == 60


def test_different_addresses_fail(nameserver: str) -> None:
    result = probe(
        "dns", "v4only.shop.test", nameserver=nameserver, expected="203.0.113.5"
    )

    assert result.status == "fail"
    assert result.summary == (
        "v4only.shop.test resolves to 198.51.100.7, expected 203.0.113.5"
    )


def test_contains_accepts_a_subset(nameserver: str) -> None:
    result = probe(
        "dns",
        "app.shop.test",
        nameserver=nameserver,
        expected="192.0.2.10",
        match="contains",
    )

    assert result.status == "pass"


def test_cname_is_compared(nameserver: str) -> None:
    ok = probe("dns", "www.shop.test", nameserver=nameserver, cname="app.shop.test")
    wrong = probe(
        "dns", "www.shop.test", nameserver=nameserver, cname="cdn.example.net"
    )

    assert ok.status == "pass"
    assert ok.summary == (
        "www.shop.test via app.shop.test resolves to "
        "192.0.2.10, 192.0.2.11, 2001:db8::10"
    )
    assert wrong.status == "fail"
    assert (
        wrong.summary
        == "www.shop.test CNAME is app.shop.test, expected cdn.example.net"
    )


def test_only_the_asked_types_are_queried(nameserver: str) -> None:
    result = probe("dns", "app.shop.test", nameserver=nameserver, types="AAAA")

    assert result.observed["records"] == {"AAAA": ["2001:db8::10"]}


def test_unknown_name_fails(nameserver: str) -> None:
    result = probe("dns", "gone.shop.test", nameserver=nameserver)

    assert result.status == "fail"
    assert result.summary == "gone.shop.test does not exist (NXDOMAIN)"


def test_a_private_nameserver_is_blocked(connections) -> None:
    result = probe("dns", "app.shop.test", nameserver="10.0.0.53", allow=())

    assert result.status == "fail"
    assert result.summary == "blocked: 10.0.0.53 is private (RFC 1918)"


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("127.0.0.1", {}, "target must be a host name"),
        ("app.shop.test", {"expected": "not-an-ip"}, "is not an IP"),
        ("app.shop.test", {"types": "MX"}, "may list only A and AAAA"),
        ("app.shop.test", {"nameserver": "ns.example"}, "must be an IP address"),
        ("bad host", {}, "malformed host name"),
    ],
)
def test_bad_input_is_an_error(target: str, options: dict, message: str) -> None:
    result = probe("dns", target, **options)

    assert result.status == "error"
    assert message in result.summary
