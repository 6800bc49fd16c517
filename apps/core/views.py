"""The app's own endpoints for orchestrators: liveness, readiness and metrics."""

import hmac
import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core import metrics as app_metrics
from apps.core import worker_heartbeat

IN_PROCESS = "not configured (in-process)"


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no database, cache or broker."""
    return JsonResponse({"status": "ok"})


def _timed(check: Callable[[], tuple[str, str]]) -> dict:
    started = time.perf_counter()
    try:
        status, detail = check()
    except Exception as error:  # Any failure of a dependency means "down".
        status, detail = "down", f"{type(error).__name__}: {error}"[:200]
    entry = {
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if detail:
        entry["detail"] = detail
    return entry


def _database() -> tuple[str, str]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok", connections["default"].vendor


def _cache() -> tuple[str, str]:
    token = str(time.monotonic_ns())
    cache.set("shipshape:ready", token, 10)
    if cache.get("shipshape:ready") != token:
        # The tolerant Redis cache swallows an outage; it says why here.
        why = getattr(cache, "last_error", "")
        return "down", why or "a value written to the cache did not read back"
    return "ok", settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _broker() -> tuple[str, str]:
    client = worker_heartbeat.broker_client()
    if client is None:
        return IN_PROCESS, ""
    client.ping()
    return "ok", ""


def _workers() -> tuple[str, str]:
    """At least one worker answers now; a stored heartbeat alone proves nothing."""
    client = worker_heartbeat.broker_client()
    if client is None:
        return IN_PROCESS, ""
    within = settings.WORKER_SEEN_WITHIN_SECONDS
    timeout = settings.WORKER_PING_TIMEOUT_MS / 1000
    answered, expected = worker_heartbeat.workers_answering(client, within, timeout)
    if not expected:
        return "down", f"no Celery worker heartbeat in the last {within} s"
    silent = sorted(set(expected) - set(answered))
    if not answered:
        return "down", (
            f"no Celery worker answered a ping within {timeout:g} s "
            f"(heartbeats from: {', '.join(silent[:5])})"
        )
    detail = f"{len(answered)} answered: {', '.join(answered[:5])}"
    if silent:
        detail += f"; silent: {', '.join(silent[:5])}"
    return "ok", detail


CHECKS = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "workers": _workers,
}


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: each dependency's status and latency; 503 naming what is down.

    Without a Redis broker, tasks run in-process: broker and workers are then
    reported as not configured, which does not make the app unready.
    """
    checks = {}
    for name, check in CHECKS.items():
        if name == "workers" and checks["broker"]["status"] == "down":
            # Heartbeats live in the broker: skip a second wait for it.
            checks[name] = {
                "status": "down",
                "latency_ms": 0.0,
                "detail": "broker down",
            }
            continue
        checks[name] = _timed(check)
    down = [name for name, entry in checks.items() if entry["status"] == "down"]
    body = {"status": "down" if down else "ok", "down": down, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    # A request relayed by a proxy shows the proxy's address, not the caller's.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition, for allowed networks or a bearer token only."""
    if not _metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(app_metrics.exposition(), content_type=app_metrics.CONTENT_TYPE)
