"""Real loopback servers for the probe kind tests: HTTP(S), raw TCP and DNS.

Every server listens on 127.0.0.1 with a free port and runs in daemon threads.
Each counts the connections it accepted, so a test can prove that a refused
target was never contacted.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Route = Callable[["Handler"], None]


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server; with an SSL context, TLS is set up per connection.

    The handshake happens in the connection's own thread, so a client that
    stalls (or a version probe the server refuses) never blocks accept().
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        routes: dict[str, Route],
        context: ssl.SSLContext | None,
        port: int = 0,
    ):
        self.routes = routes
        self.ssl_context = context
        self.accepted = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", port), Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.accepted += 1
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            try:
                request.settimeout(5)
                request = self.ssl_context.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError):
                request.close()
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-response are expected here; stay quiet."""

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> LoopbackHTTPServer:
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self


class LoopbackHTTP6Server(LoopbackHTTPServer):
    """The same server on the IPv6 loopback address ::1."""

    address_family = socket.AF_INET6

    def __init__(self, routes: dict[str, Route], context: ssl.SSLContext | None):
        self.routes = routes
        self.ssl_context = context
        self.accepted = 0
        self.requests = []
        ThreadingHTTPServer.__init__(self, ("::1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    """Dispatches by path prefix to the server's routes."""

    protocol_version = "HTTP/1.1"
    server: LoopbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.requests.append((self.command, self.path, headers))
        path = self.path.split("?", 1)[0]
        for prefix in sorted(self.server.routes, key=len, reverse=True):
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                self.server.routes[prefix](self)
                return
        self.reply(404, b"not found")

    do_GET = do_HEAD = do_POST = do_OPTIONS = _dispatch

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        content_type: str = "text/plain",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(body)
        self.close_connection = True


class SilentServer:
    """Accepts TCP connections and never says a word (a hung peer)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)


class DripServer:
    """Accepts TCP connections and sends one byte of `payload` every `interval`."""

    def __init__(self, payload: bytes, interval: float = 0.5):
        self.payload = payload
        self.interval = interval
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            for index in range(len(self.payload)):
                connection.sendall(self.payload[index : index + 1])
                time.sleep(self.interval)


class CountingPort:
    """One loopback port listening on TCP and UDP that counts who knocks.

    The forbidden end of the egress tests: a probe that is refused must leave
    both `accepted` (TCP connections) and `datagrams` (UDP, for DNS) at 0.
    """

    def __init__(self) -> None:
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(64)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.accepted = 0
        self.datagrams = 0
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._receive, daemon=True).start()

    @property
    def knocks(self) -> int:
        return self.accepted + self.datagrams

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.tcp.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def _receive(self) -> None:
        while True:
            try:
                self.udp.recvfrom(4096)
            except OSError:
                return
            self.datagrams += 1

    def close(self) -> None:
        self.tcp.close()
        self.udp.close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackDNSServer:
    """A UDP DNS server on 127.0.0.1 answering from a small zone, via dnspython.

    `zone` maps a lower-case name to a list of (type, value) records; a CNAME
    is followed within the zone, as a recursive resolver would report it.
    """

    def __init__(self, zone: dict[str, list[tuple[str, str]]], port: int = 0):
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            query = dns.message.from_wire(data)
            self.sock.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        wanted = dns.rdatatype.to_text(question.rdtype)
        if name not in self.zone:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        for _ in range(8):
            records = self.zone.get(name, [])
            cnames = [value for kind, value in records if kind == "CNAME"]
            if cnames and wanted != "CNAME":
                response.answer.append(
                    dns.rrset.from_text(f"{name}.", 300, "IN", "CNAME", f"{cnames[0]}.")
                )
                name = cnames[0]
                continue
            values = [value for kind, value in records if kind == wanted]
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(f"{name}.", 60, "IN", wanted, values)
                )
            break
        return response
