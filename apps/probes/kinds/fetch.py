"""HTTP requests for probes: pinned to the vetted address, capped and deadline-bound.

One httpx client per CA file is shared by every probe in the process. Its
transport connects only to the address and port the egress policy vetted for
the current request: the request URL carries that IP, while the Host header and
TLS SNI (and so certificate checking) keep the host name. Keep-alive is off,
so a connection opened for one name is never reused for another name that
happens to share an address. Redirects are followed by hand, at most three,
and every hop is vetted again.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from apps.probes.kinds import net
from apps.probes.kinds.contexts import verifying_context
from apps.probes.kinds.deadline import Deadline, SocketGuard
from apps.probes.kinds.result import Blocked, ProbeError, ProbeFailure

BODY_CAP = 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Shipshape-probe/1.0"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}

# httpcore's exceptions share no base class of their own.
_HTTPCORE_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)

_local = threading.local()
# Keyed by the SSL context, which is itself cached per CA file and its mtime.
_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


@dataclass
class _Attempt:
    address: str
    port: int
    deadline: Deadline
    guard: SocketGuard


class _PinnedBackend(httpcore.SyncBackend):
    """Connects only to the vetted address and port of this thread's request."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        attempt: _Attempt | None = getattr(_local, "attempt", None)
        if attempt is None or (host, port) != (attempt.address, attempt.port):
            raise httpcore.ConnectError(
                f"refusing to connect to unvetted {host}:{port}"
            )
        timeout = attempt.deadline.remaining(timeout)
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        attempt.guard.add(stream.get_extra_info("socket"))
        return stream


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any):
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class _PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool with the pinned network backend.

    httpx offers no public way to give its own transport a network backend, so
    this small transport talks to httpcore directly; httpcore's exceptions reach
    the caller unmapped and are translated in `_failure`.
    """

    def __init__(self, ssl_context: ssl.SSLContext):
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=200,
            max_keepalive_connections=0,
            network_backend=_PinnedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def client_for(ca_file: str | None) -> httpx.Client:
    """The process-wide client for a CA file (None: the system trust store)."""
    context = verifying_context(ca_file)
    with _clients_lock:
        client = _clients.get(id(context))
        if client is None:
            client = httpx.Client(
                transport=_PinnedTransport(context),
                trust_env=False,
                follow_redirects=False,
            )
            _clients[id(context)] = client
        return client


@dataclass
class Hop:
    """One request of a redirect chain."""

    url: str
    address: str
    status_code: int
    location: str | None = None
    set_cookies: list[str] = field(default_factory=list)


@dataclass
class Fetched:
    """The final response of a fetch, its body (capped) and the chain that led there."""

    url: str
    status_code: int
    headers: httpx.Headers
    body: bytes
    truncated: bool
    latency_ms: float
    address: str
    http_version: str
    hops: list[Hop] = field(default_factory=list)

    @property
    def redirects(self) -> list[dict[str, Any]]:
        return [
            {"url": hop.url, "status_code": hop.status_code, "location": hop.location}
            for hop in self.hops[:-1]
        ]


def fetch(
    url: str,
    *,
    deadline: Deadline,
    allowed: Sequence[net.AllowedNetwork],
    ca_file: str | None = None,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = True,
    body_cap: int = BODY_CAP,
) -> Fetched:
    """Request a URL under the egress policy, following up to three redirects.

    Every hop is vetted with its own port, so a redirect cannot leave the ports
    an allowed network opens. Raises Blocked if a hop's address and port are
    refused, ProbeFailure when the server cannot be reached or misbehaves,
    DeadlineExceeded when the overall deadline passes, and ProbeError for a
    malformed URL.
    """
    parsed = net.parse_url(url, ("http", "https"))
    origin = (parsed.scheme, parsed.host, parsed.port)
    hops: list[Hop] = []
    started = time.monotonic()
    while True:
        if (parsed.scheme, parsed.host, parsed.port) != origin and headers:
            # Credentials never follow a redirect to another origin.
            headers = {
                name: value
                for name, value in headers.items()
                if name.lower() != "authorization"
            }
        try:
            vetted = net.vet(parsed.host, parsed.port, allowed, deadline)
        except Blocked as blocked:
            if not hops:
                raise
            chain = [{"url": hop.url, "status_code": hop.status_code} for hop in hops]
            raise Blocked(
                f"redirect to {parsed.url} refused: {blocked.reason}",
                {**blocked.observed, "redirects": chain},
            ) from None
        fetched = _send(parsed, vetted, method, headers, deadline, ca_file, body_cap)
        location = fetched.headers.get("location")
        cookies = fetched.headers.get_list("set-cookie")
        hops.append(
            Hop(parsed.url, vetted.address, fetched.status_code, location, cookies)
        )
        fetched.hops = hops
        fetched.latency_ms = round((time.monotonic() - started) * 1000, 1)
        if not (follow_redirects and fetched.status_code in REDIRECT_STATUSES):
            return fetched
        if not location:
            return fetched
        if len(hops) > MAX_REDIRECTS:
            raise ProbeFailure(
                f"more than {MAX_REDIRECTS} redirects (last to {location})",
                {"redirects": fetched.redirects, "status_code": fetched.status_code},
            )
        try:
            parsed = net.parse_url(urljoin(parsed.url, location), ("http", "https"))
        except ProbeError as error:
            raise ProbeFailure(f"unusable redirect to {location!r}: {error}") from None
        if fetched.status_code == 303 or (
            fetched.status_code in (301, 302) and method == "POST"
        ):
            method = "GET"


def _send(
    parsed: net.ParsedURL,
    vetted: net.Vetted,
    method: str,
    headers: Mapping[str, str] | None,
    deadline: Deadline,
    ca_file: str | None,
    body_cap: int,
) -> Fetched:
    client = client_for(ca_file)
    request_headers = {
        "Host": parsed.netloc(),
        "User-Agent": USER_AGENT,
        # Compressed bodies are refused so the 1 MiB cap bounds what is read,
        # and a small compressed bomb cannot expand in memory.
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https" and not parsed.host_is_ip:
        extensions["sni_hostname"] = parsed.host
    request = client.build_request(
        method,
        f"{parsed.scheme}://{parsed.netloc(vetted.address)}{parsed.path}",
        headers=request_headers,
        timeout=httpx.Timeout(deadline.remaining()),
        extensions=extensions,
    )
    where = parsed.netloc()
    with SocketGuard(deadline) as guard:
        _local.attempt = _Attempt(vetted.address, vetted.port, deadline, guard)
        started = time.monotonic()
        try:
            response = client.send(request, stream=True)
            try:
                body, truncated = _read_body(response, body_cap, deadline)
            finally:
                response.close()
        except (httpx.HTTPError, *_HTTPCORE_ERRORS, OSError) as error:
            raise _failure(error, where, deadline, guard) from None
        finally:
            _local.attempt = None
    return Fetched(
        url=parsed.url,
        status_code=response.status_code,
        headers=response.headers,
        body=body,
        truncated=truncated,
        latency_ms=round((time.monotonic() - started) * 1000, 1),
        address=vetted.address,
        http_version=response.http_version,
    )


def _read_body(
    response: httpx.Response, cap: int, deadline: Deadline
) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
        if deadline.expired():
            raise deadline.exceeded(f"reading the body of {response.request.url.path}")
    return b"".join(chunks), False


def _failure(
    error: BaseException, where: str, deadline: Deadline, guard: SocketGuard
) -> ProbeFailure:
    """Say in one line why a request failed."""
    if guard.fired or deadline.expired():
        return deadline.exceeded(f"talking to {where}")
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return ProbeFailure(
            f"TLS certificate of {where} not accepted: {cause.verify_message}",
            {"tls_error": cause.verify_message},
        )
    if isinstance(cause, ssl.SSLError):
        reason = cause.reason or str(cause)
        return ProbeFailure(f"TLS handshake with {where} failed: {reason}")
    if isinstance(cause, ConnectionRefusedError):
        return ProbeFailure(f"connection refused by {where}")
    if isinstance(error, httpcore.ConnectTimeout | httpx.ConnectTimeout):
        return ProbeFailure(f"connecting to {where} timed out")
    if isinstance(error, httpcore.TimeoutException | httpx.TimeoutException):
        return ProbeFailure(f"{where} did not answer in time")
    if isinstance(error, httpcore.ConnectError | httpx.ConnectError):
        return ProbeFailure(f"cannot connect to {where}: {error}")
    if isinstance(error, httpcore.RemoteProtocolError | httpx.RemoteProtocolError):
        return ProbeFailure(f"{where} broke the HTTP protocol: {error}")
    return ProbeFailure(f"request to {where} failed: {error or type(error).__name__}")
