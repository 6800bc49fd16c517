"""The loopback HTTP server under every stand-in: routes by method and path, records
every call, answers JSON.

Standard library only (http.server in daemon threads), so a stand-in starts in a
few milliseconds and needs nothing installed. With an SSL context it serves
HTTPS: the server is tests/probes/kinds/servers.py's, which shakes hands in
the connection's own thread.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.probes.kinds.servers import LoopbackHTTPServer


@dataclass(frozen=True)
class Call:
    """One request a stand-in received, and the status it answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class Request:
    """What a route handler sees: the request and the groups its pattern matched."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON raises BadRequest (400)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise BadRequest(f"Problems parsing JSON: {error}") from error


@dataclass
class Reply:
    """A handler's answer: JSON-able body (or bytes), status and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class BadRequest(Exception):
    """Raised by a handler for an unparseable body; answered as 400."""


Handler = Callable[[Request], Reply]


class LoopbackStandIn:
    """A threaded loopback server with a route table and a record of every call.

    Subclasses register routes in __init__ with `self.route(method, pattern,
    handler)`; patterns are regular expressions over the raw (still
    percent-encoded) path, anchored at both ends.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._server = _Server(self, ssl_context)
        self.scheme = "https" if ssl_context else "http"
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:41234 (no trailing slash)."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_to(
        self, method: str | None = None, path: str | None = None
    ) -> list[Call]:
        """Recorded calls, filtered by method and a regular expression on the path."""
        with self.lock:
            calls = list(self.calls)
        return [
            call
            for call in calls
            if (method is None or call.method == method)
            and (path is None or re.fullmatch(path, call.path))
        ]

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = ""
    ) -> Any:
        """Poll `predicate` until it returns something truthy; fail after `timeout`.

        For tests whose code under test calls the stand-in from a Celery worker
        or a thread: the deadline is the bound the issue sets (e.g. "approved
        within 5 s"), not a sleep.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{type(self).__name__}: not seen within {timeout} s: "
                    f"{what or predicate}"
                )
            time.sleep(0.02)

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(parts.path)
            if not match:
                continue
            allowed = True
            if route_method != method:
                continue
            request = Request(
                method, parts.path, query, headers, body, match.groupdict()
            )
            try:
                reply = handler(request)
            except BadRequest as error:
                reply = Reply(400, {"message": str(error)})
            break
        else:
            reply = (
                Reply(405, {"message": "Method Not Allowed"})
                if allowed
                else Reply(404, {"message": "Not Found"})
            )
        with self.lock:
            self.calls.append(
                Call(
                    method, parts.path, query, headers, body, reply.status, time.time()
                )
            )
        return reply


class _Server(LoopbackHTTPServer):
    """The probe tests' loopback server (TLS set up per connection, quiet about
    clients that hang up) with this module's handler."""

    def __init__(
        self, stand_in: LoopbackStandIn, context: ssl.SSLContext | None
    ) -> None:
        self.stand_in = stand_in
        super().__init__({}, context)
        self.RequestHandlerClass = _Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, a keep-alive client
    # waits for the delayed ACK (about 40 ms) on every request.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            reply = self.server.stand_in.dispatch(
                self.command, self.path, headers, body
            )
        except Exception as error:  # a stand-in bug must show, not hang the client
            reply = Reply(500, {"message": f"stand-in error: {error!r}"})
        self._send(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _send(self, reply: Reply) -> None:
        if reply.body is None:
            payload, content_type = b"", None
        elif isinstance(reply.body, bytes):
            payload, content_type = reply.body, "application/octet-stream"
        else:
            payload = json.dumps(reply.body).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        headers = {"Content-Length": str(len(payload))}
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(reply.headers)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(payload)


@dataclass(frozen=True)
class SignedRequest:
    """A webhook request ready to send: its headers and exact body bytes."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def django_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Django's test Client.post(path, **kwargs)."""
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        return {
            "data": self.body,
            "content_type": self.headers["Content-Type"],
            "headers": headers,
        }

    def post(self, url: str, *, timeout: float = 5.0) -> httpx.Response:
        return client().post(
            url, content=self.body, headers=self.headers, timeout=timeout
        )


@functools.cache
def client() -> httpx.Client:
    """One HTTP client for the helpers and self-tests: building a client per
    request costs an SSL context each time (tens of milliseconds)."""
    return httpx.Client(timeout=5.0)


def free_port() -> int:
    """A port nothing listens on, for tests of an unreachable peer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
