"""The app's Prometheus metrics: request timings, probe outcomes, queues, audit chain.

Request counters and histograms are kept by prometheus-client, which sums
gunicorn's worker processes when PROMETHEUS_MULTIPROC_DIR is set (see
docker/gunicorn.conf.py). Probes run on Celery workers, so their results and
run durations, like queue depth, live workers and the outcome of the latest
scheduled audit chain verification, are read from the database and Redis when
Prometheus scrapes: every web pod reports the same figures.
"""

import logging
import os
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Probe figures come from the database, shared by every pod for a while.
PROBE_CACHE_KEY = "shipshape:metrics:probes"
PROBE_CACHE_SECONDS = 30
PROBE_WINDOW_SECONDS = 3600
RUN_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300)

REQUESTS = Counter(
    "shipshape_http_requests_total",
    "HTTP requests answered, by view name, method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "shipshape_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def request_observed(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view, method, str(status)).inc()
    REQUEST_SECONDS.labels(view, method).observe(seconds)


def _queue_names() -> list[str]:
    # "probes" is ProbeRun.queue's default; runs may name others.
    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), "probes"}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        names |= {
            r["queue"] for r in routes.values() if isinstance(r, dict) and "queue" in r
        }
    return sorted(names)


def _audit_chain_state() -> dict | None:
    """The latest scheduled verification's outcome (apps.audit), not a new walk."""
    from apps.audit.models import AuditVerification

    latest = AuditVerification.objects.order_by("-created_at", "-id").first()
    if latest is None:
        return None
    return {
        "ok": latest.ok,
        "checked": latest.checked,
        "at": latest.created_at.timestamp(),
    }


def _probe_state() -> dict:
    state = cache.get(PROBE_CACHE_KEY)
    if state is None:
        from apps.probes.models import ProbeResult, ProbeRun

        since = timezone.now() - timedelta(seconds=PROBE_WINDOW_SECONDS)
        results = (
            ProbeResult.objects.filter(run__created_at__gte=since)
            .values("kind", "status")
            .annotate(count=Count("id"))
            .order_by()
        )
        runs = ProbeRun.objects.filter(
            status__in=ProbeRun.FINISHED, finished_at__gte=since
        ).values_list("created_at", "finished_at")[:5000]
        state = {
            "results": [[r["kind"], r["status"], r["count"]] for r in results],
            "runs": [(end - start).total_seconds() for start, end in runs],
        }
        cache.set(PROBE_CACHE_KEY, state, PROBE_CACHE_SECONDS)
    return state


def _probe_families(state: dict) -> Iterator:
    results = GaugeMetricFamily(
        "shipshape_probe_results",
        "Probe results of the runs started in the last hour, by kind and status.",
        labels=["kind", "status"],
    )
    for kind, status, count in state["results"]:
        results.add_metric([kind, status], count)
    yield results
    durations = sorted(state["runs"])
    buckets = [
        (str(float(bound)), sum(1 for d in durations if d <= bound))
        for bound in RUN_BUCKETS
    ]
    yield GaugeHistogramMetricFamily(
        "shipshape_probe_run_duration_seconds",
        "Durations of the probe runs that finished in the last hour.",
        buckets=[*buckets, ("+Inf", len(durations))],
        gsum_value=sum(durations),
    )


class ScrapeTimeCollector:
    """Values read from Redis and the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from apps.core import worker_heartbeat

        client = worker_heartbeat.broker_client()
        if client is not None:
            depth = GaugeMetricFamily(
                "shipshape_queue_depth",
                "Tasks waiting in a Celery queue.",
                labels=["queue"],
            )
            workers = GaugeMetricFamily(
                "shipshape_workers_seen",
                "Celery workers whose heartbeat is recent.",
            )
            try:
                for name in _queue_names():
                    depth.add_metric([name], client.llen(name))
                workers.add_metric(
                    [],
                    len(
                        worker_heartbeat.workers_seen(
                            client, settings.WORKER_SEEN_WITHIN_SECONDS
                        )
                    ),
                )
                yield depth
                yield workers
            except Exception as error:
                logger.warning("metrics: broker unreachable: %s", error)
        try:
            yield from _probe_families(_probe_state())
        except Exception as error:
            logger.warning("metrics: probe results not read: %s", error)
        try:
            state = _audit_chain_state()
        except Exception as error:
            logger.warning("metrics: audit verification not read: %s", error)
            return
        if state is None:
            return
        yield GaugeMetricFamily(
            "shipshape_audit_chain_ok",
            "1 when the last verification found the audit chain intact, else 0.",
            value=1 if state["ok"] else 0,
        )
        yield GaugeMetricFamily(
            "shipshape_audit_chain_events_checked",
            "Audit events the last verification checked.",
            value=state["checked"],
        )
        yield GaugeMetricFamily(
            "shipshape_audit_chain_verified_timestamp_seconds",
            "When the audit chain was last verified (Unix time); alert when old.",
            value=state["at"],
        )


def exposition() -> bytes:
    """The whole scrape: counted metrics of every process, then live values."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    live = CollectorRegistry(auto_describe=False)
    live.register(ScrapeTimeCollector())
    return counted + generate_latest(live)
