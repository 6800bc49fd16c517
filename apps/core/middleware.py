"""Middleware: request id, request metrics, the CSP header, the ops endpoints and
bodies of unknown length."""

import ipaddress
import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core import context, metrics, views
from apps.core.errors import API_PREFIX

access_log = logging.getLogger("shipshape.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Takes X-Request-ID when it is well formed, else makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else context.new_request_id()
        request.request_id = request_id
        token = context.bind(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:300],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES.

    Each trusted proxy appends the address it received from, so the client is
    the NUM_PROXIES-th entry from the right; entries further left are whatever
    the client claimed and are ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.NUM_PROXIES
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


class RequestMetricsMiddleware:
    """Counts and times every response by view name, method and status.

    The view name (`releases:detail`) rather than the path keeps the number of
    series bounded; requests that match no URL share one label.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = _view_label(request)
        metrics.request_observed(
            view=view,
            method=request.method if request.method in _METHODS else "other",
            status=response.status_code,
            seconds=seconds,
        )
        if view not in _QUIET_VIEWS:
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": getattr(request, "request_id", ""),
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
        return response


# Orchestrators call these every few seconds; their lines would drown the rest.
_QUIET_VIEWS = {"health", "ready", "metrics", "static"}
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _view_label(request: HttpRequest) -> str:
    label = getattr(request, "metrics_view", "")
    if label:
        return label
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


class ContentSecurityPolicyMiddleware:
    """Sends CONTENT_SECURITY_POLICY (no inline script) and a Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault(
                "Content-Security-Policy", settings.CONTENT_SECURITY_POLICY
            )
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), geolocation=(), microphone=()"
        )
        return response


class OpsEndpointsMiddleware:
    """Answers /health/, /ready/ and /metrics before the Host header is checked.

    Kubelets, Docker's HEALTHCHECK and Prometheus call the pod by its address,
    which is not in ALLOWED_HOSTS. These views build no URLs from the Host
    header, and /metrics checks its caller itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes = {
            "/health/": ("health", views.health),
            "/ready/": ("ready", views.ready),
            "/metrics": ("metrics", views.metrics),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = self.routes.get(request.path_info)
        if route is None:
            return self.get_response(request)
        request.metrics_view, view = route
        return view(request)


class BodyLengthMiddleware:
    """Refuses a body sent without Content-Length (chunked) with 411.

    WSGI hands Django such a body as an empty one, so a chunked PATCH would be
    answered 200 having changed nothing. The caller is told to send the length
    instead: JSON for the API, plain text for pages.
    """

    MESSAGE = (
        "Send the body with a Content-Length header; a body without one "
        "(Transfer-Encoding: chunked) cannot be read."
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if "HTTP_TRANSFER_ENCODING" not in meta or meta.get("CONTENT_LENGTH"):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": self.MESSAGE}, status=411)
        return HttpResponse(self.MESSAGE, status=411, content_type="text/plain")
