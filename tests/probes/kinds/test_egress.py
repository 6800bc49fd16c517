"""The shared egress policy: the address table, URL checks, pinning, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.probes.kinds import net
from apps.probes.kinds.deadline import Deadline
from apps.probes.kinds.result import Blocked, ProbeError
from tests.probes.kinds.conftest import LOOPBACK, probe
from tests.probes.kinds.servers import CountingPort, LoopbackHTTPServer

ALLOWED = net.parse_networks(LOOPBACK)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "embeds 127.0.0.1 is loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "embeds 169.254.169.254 is link-local"),
        ("64:ff9b::a00:1", "embeds 10.0.0.1 is private"),
        ("2002:a9fe:a9fe::", "embeds 169.254.169.254 is link-local"),
        ("2002:7f00:1::", "embeds 127.0.0.1 is loopback"),
        ("::7f00:1", "embeds 127.0.0.1 is loopback"),
        ("::ffff:0:a9fe:a9fe", "embeds 169.254.169.254"),
        ("169.254.169.254", "link-local (the cloud metadata range)"),
        ("169.254.0.1", "link-local"),
        ("100.100.100.200", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("10.0.0.1", "private (RFC 1918)"),
        ("172.16.0.1", "private (RFC 1918)"),
        ("172.31.255.255", "private (RFC 1918)"),
        ("192.168.1.1", "private (RFC 1918)"),
        ("fc00::1", "unique local"),
        ("fd12:3456::1", "unique local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("192.0.2.10", "documentation"),
        ("2001:db8::1", "documentation"),
        ("198.18.0.1", "benchmarking"),
    ],
)
def test_denied_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    assert reason in net.denial_reason(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::", "172.32.0.1"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert net.denial_reason(address) is None


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.255.0.1", "::1", "::ffff:127.0.0.1"]
)
def test_allowed_networks_unlock_loopback(address: str) -> None:
    assert net.denial_reason(address, ALLOWED) is None


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "100.100.100.200", "fd00:ec2::254", "0.0.0.0", "224.0.0.1"],
)
def test_allowed_networks_never_unlock_metadata_or_unspecified(address: str) -> None:
    everything = net.parse_networks(["0.0.0.0/0", "::/0"])
    assert net.denial_reason(address, everything) is not None


def test_cgnat_and_nat64_metadata_slip_past_python_is_private() -> None:
    import ipaddress

    assert ipaddress.ip_address("100.64.0.1").is_private is False
    assert ipaddress.ip_address("64:ff9b::a9fe:a9fe").is_global is True
    assert net.denial_reason("100.64.0.1") is not None
    assert net.denial_reason("64:ff9b::a9fe:a9fe") is not None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
    ],
)
def test_numeric_encodings_resolve_through_getaddrinfo(
    host: str, expected: str
) -> None:
    assert net.system_resolver(host, 80) == [expected]


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0", "[::1]"])
def test_numeric_encodings_of_loopback_are_blocked(host: str, connections) -> None:
    result = probe("http", f"http://{host}:8080/", allow=())

    assert result.status == "fail"
    assert "blocked" in result.summary
    assert connections == []


def test_unspecified_address_is_blocked_even_when_loopback_is_allowed(
    connections,
) -> None:
    result = probe("http", "http://0:8080/")

    assert result.status == "fail"
    assert result.summary == (
        "blocked: 0 resolves to a refused address: 0.0.0.0 is unspecified "
        "('this network')"
    )
    assert connections == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "scheme file: is not accepted"),
        ("gopher://127.0.0.1:70/", "scheme gopher: is not accepted"),
        ("unix:///var/run/docker.sock", "scheme unix: is not accepted"),
        ("ftp://example.com/", "scheme ftp: is not accepted"),
        ("http://user:pw@example.com/", "must not contain a user name"),
        ("http://example.com@127.0.0.1/", "must not contain a user name"),
        ("http://example.com\\@127.0.0.1/", "backslash"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com:99999/", "Port out of range"),
        ("http://example.com:0/", "between 1 and 65535"),
        ("http:///path", "no host"),
        ("example.com", "no scheme"),
        ("http://exa%6dple.com/", "malformed host"),
        ("", "target is empty"),
    ],
)
def test_malformed_or_dangerous_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        net.parse_url(url, ("http", "https"))


def test_a_name_resolving_to_a_private_address_is_blocked_before_connecting(
    resolver, connections
) -> None:
    resolver.names["intranet.example"] = ["10.1.2.3"]

    result = probe("http", "http://intranet.example/", allow=())

    assert result.status == "fail"
    assert result.summary == (
        "blocked: intranet.example resolves to a refused address: "
        "10.1.2.3 is private (RFC 1918)"
    )
    assert connections == []


def test_one_denied_address_among_several_blocks_the_target(
    resolver, connections, http_server
) -> None:
    resolver.names["mixed.example"] = ["127.0.0.1", "169.254.169.254"]
    accepted = http_server.accepted

    result = probe("http", f"http://mixed.example:{http_server.port}/health")

    assert result.status == "fail"
    assert "169.254.169.254 is link-local" in result.summary
    assert connections == []
    assert http_server.accepted == accepted


def test_the_vetted_address_is_the_one_connected_to(
    resolver, connections, http_server
) -> None:
    # DNS rebinding: the first answer is loopback (allowed in tests), every
    # later answer points at the metadata service. Only one lookup happens.
    resolver.names["rebind.example"] = [["127.0.0.1"], ["169.254.169.254"]]

    result = probe("http", f"http://rebind.example:{http_server.port}/echo")

    assert result.status == "pass"
    assert resolver.lookups.count("rebind.example") == 1
    assert connections == [("127.0.0.1", http_server.port)]


def test_host_header_keeps_the_name_while_the_socket_uses_the_ip(
    resolver, http_server
) -> None:
    before = len(http_server.requests)

    result = probe("http", f"http://shop.test:{http_server.port}/echo")

    assert result.status == "pass"
    assert result.observed["address"] == "127.0.0.1"
    method, path, headers = http_server.requests[before]
    assert (method, path) == ("GET", "/echo")
    assert headers["host"] == f"shop.test:{http_server.port}"


def test_a_redirect_into_a_refused_address_is_blocked(
    resolver, connections, http_server
) -> None:
    resolver.names["metadata.example"] = ["169.254.169.254"]
    start = f"http://127.0.0.1:{http_server.port}/redirect-to?url="

    result = probe("http", start + "http://metadata.example/latest/meta-data/")

    assert result.status == "fail"
    assert result.summary == (
        "blocked: redirect to http://metadata.example/latest/meta-data/ refused: "
        "metadata.example resolves to a refused address: 169.254.169.254 is "
        "link-local (the cloud metadata range)"
    )
    assert result.observed["redirects"][0]["status_code"] == 302
    assert all(address[0] == "127.0.0.1" for address in connections)


def test_an_ipv6_address_is_pinned_too(resolver, connections) -> None:
    from tests.probes.kinds.routes import ROUTES
    from tests.probes.kinds.servers import LoopbackHTTP6Server

    server = LoopbackHTTP6Server(ROUTES, None).start()
    resolver.names["v6.shop.test"] = ["::1"]
    try:
        result = probe("http", f"http://v6.shop.test:{server.port}/echo")
    finally:
        server.shutdown()
        server.server_close()

    assert result.status == "pass"
    assert result.observed["address"] == "::1"
    assert [address[:2] for address in connections] == [("::1", server.port)]
    assert server.requests[0][2]["host"] == f"v6.shop.test:{server.port}"


def test_a_redirect_to_another_scheme_is_refused(http_server) -> None:
    start = f"http://127.0.0.1:{http_server.port}/redirect-to?url="

    result = probe("http", start + "file:///etc/passwd")

    assert result.status == "fail"
    assert "unusable redirect to 'file:///etc/passwd'" in result.summary


def test_vet_returns_the_first_address_and_all_of_them(resolver) -> None:
    resolver.names["dual.example"] = ["127.0.0.1", "::1"]

    vetted = net.vet("dual.example", 443, ALLOWED, Deadline(5))

    assert vetted.address == "127.0.0.1"
    assert vetted.addresses == ("127.0.0.1", "::1")


def test_vet_raises_blocked_naming_the_host(resolver) -> None:
    resolver.names["cgnat.example"] = ["100.64.1.1"]

    with pytest.raises(
        Blocked, match="cgnat.example resolves to a refused address: 100.64.1.1"
    ):
        net.vet("cgnat.example", 443, ALLOWED, Deadline(5))


def test_an_unknown_name_fails_without_connecting(connections) -> None:
    result = probe("http", "http://no-such-host.invalid/")

    assert result.status == "fail"
    assert result.summary.startswith("cannot resolve no-such-host.invalid")
    assert connections == []


def test_a_malformed_allowed_network_is_an_error() -> None:
    result = probe("http", "http://127.0.0.1:1/", allow=("loopback",))

    assert result.status == "error"
    assert result.summary == "allowed network 'loopback' is not a CIDR"


# Port rules: a network opened on some ports only (a team network) ---------------


@pytest.fixture
def forbidden() -> Iterator[CountingPort]:
    """A loopback port, TCP and UDP, that the port rule does not open."""
    port = CountingPort()
    yield port
    port.close()


def only(*ports: int) -> tuple[str, ...]:
    """Loopback opened on these ports only, as a team network with ports is."""
    return (net.network_text("127.0.0.1/32", ports),)


def test_a_network_with_ports_opens_its_addresses_on_those_ports_only() -> None:
    allowed = net.parse_networks(["127.0.0.1/32 ports=8102"])

    assert net.denial_reason("127.0.0.1", allowed, 8102) is None
    assert net.denial_reason("127.0.0.1", allowed, 8107) == (
        "127.0.0.1 is loopback (allowed on port 8102 only, not port 8107)"
    )
    assert net.denial_reason("::ffff:127.0.0.1", allowed, 8107) == (
        "::ffff:7f00:1 embeds 127.0.0.1 is loopback "
        "(allowed on port 8102 only, not port 8107)"
    )
    assert net.denial_reason("127.0.0.1", allowed) == (
        "127.0.0.1 is loopback (allowed on port 8102 only)"
    )
    assert net.denial_reason("127.0.0.2", allowed, 8102) == "127.0.0.2 is loopback"
    assert net.denial_reason("8.8.8.8", allowed, 8107) is None


def test_a_network_without_ports_opens_every_port() -> None:
    allowed = net.parse_networks(["127.0.0.0/8"])

    assert net.denial_reason("127.0.0.1", allowed, 8107) is None
    assert net.denial_reason("127.0.0.1", allowed) is None


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1/32 ports=",
        "127.0.0.1/32 ports=0",
        "127.0.0.1/32 ports=70000",
        "127.0.0.1/32 ports=http",
        "127.0.0.1/32 ports=80,",
        "127.0.0.1/32 8102",
    ],
)
def test_a_malformed_port_list_is_an_error(entry: str) -> None:
    result = probe("http", "http://127.0.0.1:1/", allow=(entry,))

    assert result.status == "error"
    assert result.summary == (
        f"allowed network {entry!r} must be CIDR or CIDR ports=P1,P2"
    )


def test_the_allowed_port_itself_is_reachable(http_server, url) -> None:
    result = probe(
        "http", url("/health"), allow=only(http_server.port), max_latency_ms="60000"
    )

    assert result.status == "pass"


def _redirect(a: int, to: str) -> str:
    return f"http://127.0.0.1:{a}/redirect-to?url={to}"


# (kind, target, options, what the summary says); `a` is the open port (the
# loopback HTTP server), `b` the forbidden one.
SPELLINGS = {
    "http redirect": (
        "http",
        lambda a, b: _redirect(a, f"http://127.0.0.1:{b}/"),
        {},
        "blocked: redirect to http://127.0.0.1:{b}/ refused: 127.0.0.1 is "
        "loopback (allowed on port {a} only, not port {b})",
    ),
    "http redirect to 127.1": (
        "http",
        lambda a, b: _redirect(a, f"http://127.1:{b}/"),
        {},
        "127.1 resolves to a refused address: 127.0.0.1 is loopback "
        "(allowed on port {a} only, not port {b})",
    ),
    "http redirect to a name": (
        "http",
        lambda a, b: _redirect(a, f"http://shop.test:{b}/x"),
        {},
        "shop.test resolves to a refused address",
    ),
    "http redirect to an IPv4-mapped address": (
        "http",
        lambda a, b: _redirect(a, f"http://[::ffff:127.0.0.1]:{b}/"),
        {},
        "embeds 127.0.0.1 is loopback (allowed on port {a} only, not port {b})",
    ),
    "http redirect to https": (
        "http",
        lambda a, b: _redirect(a, f"https://127.0.0.1:{b}/"),
        {},
        "not port {b}",
    ),
    "headers redirect": (
        "headers",
        lambda a, b: _redirect(a, f"http://127.0.0.1:{b}/"),
        {},
        "not port {b}",
    ),
    "postgres ?port=": (
        "postgres",
        lambda a, b: f"postgres://u@127.0.0.1:{a}/db?port={b}",
        {},
        "blocked: 127.0.0.1 is loopback (allowed on port {a} only, not port {b})",
    ),
    "postgres percent-encoded ?port=": (
        "postgres",
        lambda a, b: f"postgresql://u@127.0.0.1:{a}/db?p%6frt={b}",
        {},
        "not port {b}",
    ),
    "postgres ?host=&port=": (
        "postgres",
        lambda a, b: f"postgres://u@127.0.0.1:{a}/db?host=127.0.0.1&port={b}",
        {},
        "not port {b}",
    ),
    "postgres key=value, port twice": (
        "postgres",
        lambda a, b: f"host=127.0.0.1 port={a} dbname=db port={b}",
        {},
        "not port {b}",
    ),
    "postgres host list": (
        "postgres",
        lambda a, b: f"postgres://u@127.0.0.1:{a},127.0.0.1:{b}/db",
        {},
        "DSN host must be one host name or IP address",
    ),
    "postgres port list": (
        "postgres",
        lambda a, b: f"host=127.0.0.1 port={a},{b} dbname=db",
        {},
        "is not between 1 and 65535",
    ),
    "postgres hostaddr": (
        "postgres",
        lambda a, b: f"postgres://u@shop.test:{a}/db?hostaddr=127.0.0.1&port={b}",
        {},
        "DSN parameter hostaddr is not accepted",
    ),
    "postgres service": (
        "postgres",
        lambda a, b: f"postgres://u@127.0.0.1:{a}/db?service=elsewhere",
        {},
        "DSN parameter service is not accepted",
    ),
    "postgres passfile": (
        "postgres",
        lambda a, b: f"host=127.0.0.1 port={a} passfile=/etc/shadow",
        {},
        "DSN parameter passfile is not accepted",
    ),
    "redis": ("redis", lambda a, b: f"redis://127.0.0.1:{b}/0", {}, "not port {b}"),
    "queue": ("queue", lambda a, b: f"redis://127.0.0.1:{b}/0", {}, "not port {b}"),
    "tls": ("tls", lambda a, b: f"127.0.0.1:{b}", {}, "not port {b}"),
    "dns server": (
        "dns",
        lambda a, b: "app.shop.example",
        {"nameserver": "127.0.0.1:{b}"},
        "not port {b}",
    ),
    "prometheus": (
        "prometheus",
        lambda a, b: f"http://127.0.0.1:{b}",
        {"query": "up", "threshold": "1"},
        "not port {b}",
    ),
    "ratelimit": (
        "ratelimit",
        lambda a, b: f"http://127.0.0.1:{b}/",
        {},
        "not port {b}",
    ),
    "kubernetes API server": (
        "k8s",
        lambda a, b: "shop",
        {"api_server": "https://127.0.0.1:{b}", "token": "t"},
        "not port {b}",
    ),
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_every_connection_is_judged_against_the_port_rule(
    spelling: str, http_server, forbidden
) -> None:
    kind, target, options, says = SPELLINGS[spelling]
    a, b = http_server.port, forbidden.port
    filled = {key: value.format(b=b) for key, value in options.items()}

    result = probe(kind, target(a, b), allow=only(a), timeout=3, **filled)

    assert result.status in ("fail", "error"), result
    assert says.format(a=a, b=b) in result.summary
    assert forbidden.knocks == 0


@pytest.mark.parametrize(
    "dbname",
    ["host=127.0.0.1 port={b}", "postgresql://127.0.0.1:{b}/db"],
)
def test_a_connection_string_in_dbname_is_not_expanded(
    dbname: str, http_server, forbidden
) -> None:
    # libpq expands a dbname holding a connection string only when asked to
    # (PQconnectdbParams with expand_dbname); the probe never asks.
    a, b = http_server.port, forbidden.port
    target = f"host=127.0.0.1 port={a} dbname='{dbname.format(b=b)}'"

    result = probe("postgres", target, allow=only(a), timeout=3)

    assert result.status == "fail"
    assert forbidden.knocks == 0


def test_a_dsn_on_the_open_port_connects_and_its_port_parameter_is_judged(
    forbidden,
) -> None:
    from urllib.parse import urlsplit

    from tests.services import POSTGRES_URL, require

    parts = urlsplit(require("PostgreSQL", POSTGRES_URL, 5432))
    port = parts.port or 5432
    base = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    allowed = probe("postgres", base, allow=only(port))
    moved = probe("postgres", f"{base}?port={forbidden.port}", allow=only(port))

    assert allowed.status == "pass", allowed.summary
    assert moved.status == "fail"
    assert moved.summary.startswith("blocked: 127.0.0.1 is loopback")
    assert forbidden.knocks == 0


def test_a_kubernetes_api_redirect_is_not_followed(ca, forbidden) -> None:
    import base64

    from tests.probes.kinds.conftest import _server_context

    def elsewhere(handler) -> None:
        location = f"http://127.0.0.1:{forbidden.port}/api/v1/namespaces"
        handler.reply(302, b"", [("Location", location)])

    routes = {"/api": elsewhere, "/apis": elsewhere}
    server = LoopbackHTTPServer(routes, _server_context(ca.issue_cert("127.0.0.1")))
    server.start()
    try:
        result = probe(
            "k8s",
            "shop",
            allow=only(server.port),
            api_server=f"https://127.0.0.1:{server.port}",
            ca_data=base64.b64encode(ca.cert_pem.bytes()).decode(),
            token="k8s-token",
        )
    finally:
        server.shutdown()
        server.server_close()

    assert result.status == "fail"
    assert server.accepted >= 1
    assert forbidden.knocks == 0
