"""A minimal Redis client for the redis and queue probes: fixed commands only.

redis-py is not used here on purpose. A probe must connect to exactly the
vetted address while TLS still checks the host name, must stop at the overall
deadline, and must send nothing beyond AUTH, SELECT, PING, INFO and LLEN;
redis-py resolves the host itself, uses the IP as the TLS server name when
given one, and sends CLIENT SETINFO on connect. RESP2 is small enough to speak
directly.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from apps.probes.kinds import net
from apps.probes.kinds.base import ProbeContext
from apps.probes.kinds.contexts import verifying_context
from apps.probes.kinds.deadline import SocketGuard
from apps.probes.kinds.result import ProbeError, ProbeFailure

MAX_REPLY_BYTES = 1024 * 1024
_DB_PATH = re.compile(r"^/?(\d{0,5})$")


class RespError(Exception):
    """An error reply from the server, such as NOAUTH or WRONGTYPE."""


@dataclass(frozen=True)
class RedisTarget:
    """A parsed redis:// or rediss:// URL."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    db: int


def parse_redis_url(url: str, context: ProbeContext) -> RedisTarget:
    """Parse a redis URL; only redis:// and rediss://, no query parameters."""
    parsed = net.parse_url(url, ("redis", "rediss"), allow_userinfo=True)
    password = unquote(parsed.password) if parsed.password else None
    context.secret(password)
    context.secret(parsed.password)
    if "?" in parsed.path:
        raise ProbeError("redis URL must not have query parameters")
    match = _DB_PATH.match(parsed.path if parsed.path != "/" else "")
    if not match:
        raise ProbeError("redis URL path must be a database number, like /0")
    return RedisTarget(
        host=parsed.host,
        port=parsed.port,
        tls=parsed.scheme == "rediss",
        username=unquote(parsed.username) if parsed.username else None,
        password=password,
        db=int(match.group(1) or 0),
    )


class RespConnection:
    """One connection speaking RESP2, every read bounded by the probe's deadline."""

    def __init__(self, sock: socket.socket, context: ProbeContext, where: str):
        self._sock = sock
        self._context = context
        self._buffer = b""
        self.where = where

    def call(self, *args: str) -> Any:
        """Send one command and return its reply (RespError for an error reply)."""
        return self.pipeline([args])[0]

    def pipeline(self, commands: list[tuple[str, ...]]) -> list[Any]:
        """Send several commands in one round trip; replies come back in order."""
        payload = b"".join(_encode(command) for command in commands)
        try:
            self._sock.settimeout(self._context.deadline.remaining())
            self._sock.sendall(payload)
            replies = []
            for _ in commands:
                try:
                    replies.append(self._read_reply())
                except RespError as error:
                    replies.append(error)
        except OSError as error:
            raise self._failure(error) from None
        return replies

    def close(self) -> None:
        """Close the socket; errors no longer matter once the verdict is known."""
        with contextlib.suppress(OSError):
            self._sock.close()

    def _failure(self, error: OSError) -> ProbeFailure:
        if self._context.deadline.expired():
            return self._context.deadline.exceeded(f"talking to {self.where}")
        return ProbeFailure(f"{self.where} closed the connection: {error}")

    def _read_line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise ProbeFailure(f"{self.where} sent an over-long reply line")
            self._fill()
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size + 2:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size + 2 :]
        return data

    def _fill(self) -> None:
        self._sock.settimeout(self._context.deadline.remaining())
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("connection closed by the server")
        self._buffer += chunk

    def _read_reply(self) -> Any:
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            raise RespError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            if size > MAX_REPLY_BYTES:
                raise ProbeFailure(f"{self.where} sent a reply over 1 MiB")
            return self._read_exact(size).decode("utf-8", "replace")
        if kind == b"*":
            count = int(rest)
            if count > 10000:
                raise ProbeFailure(f"{self.where} sent an over-long array")
            return [self._read_reply() for _ in range(max(count, 0))]
        raise ProbeFailure(f"{self.where} does not speak the Redis protocol")


def _encode(args: tuple[str, ...]) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def connect(
    target: RedisTarget, context: ProbeContext, guard: SocketGuard
) -> RespConnection:
    """Vet, connect (TLS for rediss://), authenticate and select the database."""
    deadline = context.deadline
    vetted = net.vet(target.host, target.port, context.allowed, deadline)
    where = f"{target.host}:{target.port}"
    sock = net.open_tcp(vetted, deadline, guard)
    if target.tls:
        try:
            sock.settimeout(deadline.remaining())
            sock = verifying_context(context.ca_file, "redis").wrap_socket(
                sock, server_hostname=target.host
            )
        except ssl.SSLCertVerificationError as error:
            sock.close()
            raise ProbeFailure(
                f"TLS certificate of {where} not accepted: {error.verify_message}"
            ) from None
        except OSError as error:
            sock.close()
            if deadline.expired():
                raise deadline.exceeded(f"TLS handshake with {where}") from None
            raise ProbeFailure(f"TLS handshake with {where} failed: {error}") from None
    connection = RespConnection(sock, context, where)
    if target.password:
        credentials = [target.username] if target.username else []
        reply = connection.call("AUTH", *credentials, target.password)
        if isinstance(reply, RespError):
            raise ProbeFailure(f"authentication failed at {where}: {reply}")
    if target.db:
        reply = connection.call("SELECT", str(target.db))
        if isinstance(reply, RespError):
            raise ProbeFailure(f"cannot select database {target.db}: {reply}")
    return connection
