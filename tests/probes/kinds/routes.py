"""The behaviours the loopback web server offers, one route per situation."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

from tests.probes.kinds.servers import Handler

GOOD_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Set-Cookie", "sessionid=abc; Secure; HttpOnly; SameSite=Lax; Path=/"),
]
UNSAFE_INLINE_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000"),
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "no-referrer"),
]
CORS_HEADERS = [
    *UNSAFE_INLINE_HEADERS[:1],
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
]
BAD_HEADERS = [
    ("X-Content-Type-Options", "sniff-away"),
    ("Set-Cookie", "sessionid=abc; Path=/"),
]
PAGE = (
    b"<!doctype html><title>Shop</title>"
    b'<script src="/static/app.js"></script><p>Welcome to the shop</p>'
)

_limits: dict[str, int] = {}
_limits_lock = threading.Lock()


def home(handler: Handler) -> None:
    """A well-configured page: every security header, HSTS for a year."""
    handler.reply(200, PAGE, GOOD_HEADERS, "text/html; charset=utf-8")


def health(handler: Handler) -> None:
    body = json.dumps({"status": "ok", "checks": {"db": {"up": True}}}).encode()
    handler.reply(200, body, content_type="application/json")


def health_503(handler: Handler) -> None:
    body = json.dumps({"status": "down"}).encode()
    handler.reply(503, body, content_type="application/json")


def slow(handler: Handler) -> None:
    time.sleep(0.12)
    handler.reply(200, b"slow but fine")


def headers_route(handler: Handler) -> None:
    variant = urlsplit(handler.path).path.rsplit("/", 1)[-1]
    headers = {
        "good": GOOD_HEADERS,
        "unsafe-inline": UNSAFE_INLINE_HEADERS,
        "cors": CORS_HEADERS,
        "bad": BAD_HEADERS,
    }[variant]
    handler.reply(200, PAGE, headers, "text/html; charset=utf-8")


def served(
    headers: list[tuple[str, str]],
    *,
    body: str = "",
    content_type: str | None = "text/html; charset=utf-8",
    status: int = 200,
) -> str:
    """The path at which /observatory serves exactly this response.

    The response is carried in the path (the Observatory's own scanner, run
    against the same server, keeps the path but drops any query string).
    """
    spec = {"headers": headers, "body": body, "type": content_type, "status": status}
    encoded = base64.urlsafe_b64encode(json.dumps(spec).encode()).decode()
    return f"/observatory/{encoded.rstrip('=')}"


def observatory_page(handler: Handler) -> None:
    """/observatory/<spec>: the status, headers and body `served()` encoded.

    Every method gets the same answer, so a CORS preflight sees the page's
    headers; `{origin}` in a header value is replaced by the request's Origin.
    """
    encoded = urlsplit(handler.path).path.rsplit("/", 1)[-1]
    padded = encoded + "=" * (-len(encoded) % 4)
    spec = json.loads(base64.urlsafe_b64decode(padded))
    body = spec["body"].encode()
    origin = handler.headers.get("Origin", "")
    handler.send_response(spec["status"])
    if spec["type"] is not None:
        handler.send_header("Content-Type", spec["type"])
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    for name, value in spec["headers"]:
        handler.send_header(name, value.replace("{origin}", origin))
    handler.end_headers()
    if handler.command != "HEAD":
        with contextlib.suppress(OSError):
            handler.wfile.write(body)
    handler.close_connection = True


def redirect(handler: Handler) -> None:
    """/redirect/N redirects N times, then answers 200."""
    count = int(urlsplit(handler.path).path.rsplit("/", 1)[-1])
    if count <= 0:
        handler.reply(200, b"arrived")
        return
    handler.reply(302, b"", [("Location", f"/redirect/{count - 1}")])


def redirect_to(handler: Handler) -> None:
    """/redirect-to?url=U answers 302 with Location U."""
    url = parse_qs(urlsplit(handler.path).query)["url"][0]
    handler.reply(302, b"", [("Location", url)])


def limited(handler: Handler) -> None:
    """/limited/<bucket>: five requests per bucket, then 429 Too Many Requests."""
    bucket = urlsplit(handler.path).path
    with _limits_lock:
        _limits[bucket] = _limits.get(bucket, 0) + 1
        count = _limits[bucket]
    if count > 5:
        handler.reply(429, b"slow down", [("Retry-After", "30")])
    else:
        handler.reply(200, b"ok")


def hang(handler: Handler) -> None:
    """Read the request, then never answer."""
    time.sleep(60)


def drip(handler: Handler) -> None:
    """Send headers, then one body byte every half second."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    with contextlib.suppress(OSError):
        for _ in range(1000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.5)


def endless(handler: Handler) -> None:
    """A chunked body that never ends, sent as fast as the client reads."""
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"y" * 65536
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    with contextlib.suppress(OSError):
        for _ in range(10_000):
            handler.wfile.write(frame)


def echo(handler: Handler) -> None:
    """Answer with the Host header and path the server received."""
    body = json.dumps({"host": handler.headers.get("Host"), "path": handler.path})
    handler.reply(200, body.encode(), content_type="application/json")


ROUTES = {
    "/": home,
    "/health": health,
    "/health503": health_503,
    "/slow": slow,
    "/headers": headers_route,
    "/observatory": observatory_page,
    "/redirect": redirect,
    "/redirect-to": redirect_to,
    "/limited": limited,
    "/hang": hang,
    "/drip": drip,
    "/endless": endless,
    "/echo": echo,
}
