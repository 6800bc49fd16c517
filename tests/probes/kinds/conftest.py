"""Fixtures for the probe kind tests: real loopback peers, and a fake DNS resolver.

Tests only ever connect to 127.0.0.1. Host names are answered by a fake
resolver installed for every test (numeric forms and `localhost` resolve as
the system would, anything unknown fails), so no test sends a DNS query off
this machine.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme

from apps.probes.kinds import net, run_kind
from apps.probes.kinds.result import Result
from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import (
    DripServer,
    LoopbackHTTPServer,
    SilentServer,
    closed_port,
)

LOOPBACK = ("127.0.0.0/8", "::1/128")
SERVER_NAMES = ["localhost", "shop.test", "127.0.0.1", "::1"]


class FakeResolver:
    """Answers from a table; a list of answers is handed out one per lookup."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host in self.names:
            answer = self.names[host]
            if answer and isinstance(answer[0], list):
                return list(answer.pop(0) if len(answer) > 1 else answer[0])
            return list(answer)
        if host == "localhost":
            return ["127.0.0.1"]
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
        return [info[4][0] for info in infos]


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    fake = FakeResolver()
    fake.names["shop.test"] = ["127.0.0.1"]
    monkeypatch.setattr(net, "resolver", fake)
    return fake


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address this process connects a socket to during the test."""
    seen: list[Any] = []
    original = socket.socket.connect

    def recording_connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    return seen


def probe(
    kind: str,
    target: str,
    *,
    timeout: float = 5.0,
    allow: tuple[str, ...] = LOOPBACK,
    ca_file: str | None = None,
    local_credentials: bool = False,
    **options: str,
) -> Result:
    """Run a probe the way the command and the workers do."""
    return run_kind(
        kind,
        target,
        options,
        timeout=timeout,
        allow_private=allow,
        ca_file=ca_file,
        local_credentials=local_credentials,
    )


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pki") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _server_context(cert: trustme.LeafCert, *, legacy: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1
    cert.configure_cert(context)
    return context


def _https(cert: trustme.LeafCert, **kwargs: Any) -> Iterator[LoopbackHTTPServer]:
    server = LoopbackHTTPServer(ROUTES, _server_context(cert, **kwargs)).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def http_server() -> Iterator[LoopbackHTTPServer]:
    server = LoopbackHTTPServer(ROUTES, None).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def https_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    yield from _https(ca.issue_cert(*SERVER_NAMES))


@pytest.fixture(scope="session")
def expired_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    cert = ca.issue_cert(
        *SERVER_NAMES,
        not_before=_now() - dt.timedelta(days=90),
        not_after=_now() - dt.timedelta(days=2),
    )
    yield from _https(cert)


@pytest.fixture(scope="session")
def future_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    cert = ca.issue_cert(
        *SERVER_NAMES,
        not_before=_now() + dt.timedelta(days=5),
        not_after=_now() + dt.timedelta(days=95),
    )
    yield from _https(cert)


@pytest.fixture(scope="session")
def ten_days_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    cert = ca.issue_cert(
        *SERVER_NAMES,
        not_before=_now() - dt.timedelta(days=80),
        not_after=_now() + dt.timedelta(days=10, hours=1),
    )
    yield from _https(cert)


@pytest.fixture(scope="session")
def three_days_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    cert = ca.issue_cert(
        *SERVER_NAMES,
        not_before=_now() - dt.timedelta(days=80),
        not_after=_now() + dt.timedelta(days=3, hours=1),
    )
    yield from _https(cert)


@pytest.fixture(scope="session")
def wrong_host_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    yield from _https(ca.issue_cert("other.example"))


@pytest.fixture(scope="session")
def untrusted_server() -> Iterator[LoopbackHTTPServer]:
    yield from _https(trustme.CA().issue_cert(*SERVER_NAMES))


@pytest.fixture(scope="session")
def legacy_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    """Accepts TLS 1.0 and 1.1 as well as 1.2 and 1.3."""
    yield from _https(ca.issue_cert(*SERVER_NAMES), legacy=True)


@pytest.fixture
def url(http_server: LoopbackHTTPServer) -> Callable[[str], str]:
    """Build a plain-HTTP URL on the loopback server."""
    return lambda path: f"http://127.0.0.1:{http_server.port}{path}"


@pytest.fixture
def closed() -> int:
    """A loopback port nothing listens on."""
    return closed_port()


@pytest.fixture(scope="session")
def silent_server() -> SilentServer:
    """Accepts connections and never answers."""
    return SilentServer()


@pytest.fixture(scope="session")
def drip_server() -> DripServer:
    """Sends an HTTP status line and headers one byte every half second."""
    return DripServer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 50)
