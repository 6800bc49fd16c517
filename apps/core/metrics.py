"""The app's Prometheus metrics: request timings, probe outcomes, queues, audit chain.

Request counters and histograms are kept by prometheus-client, which sums
gunicorn's worker processes when PROMETHEUS_MULTIPROC_DIR is set (see
docker/gunicorn.conf.py). Probes run on Celery workers, so their results and
run durations, like queue depth, live workers and the outcome of the latest
scheduled audit chain verification, are read from the database and Redis when
Prometheus scrapes: every web pod reports the same figures. The apps that own
those figures register their collectors here (register(), from their ready()):
apps.probes.metrics and apps.audit.metrics.
"""

import logging
import os
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from apps.core import worker_heartbeat

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Collectors of live values registered by the apps that own them.
_COLLECTORS: list[object] = []

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


class ScrapeTimeCollector:
    """Queue depth and live workers, read from Redis when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
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


def register(collector: object) -> None:
    """Add a collector of live values (its collect() yields metric families) to
    every scrape: apps that own the figures register theirs in their ready()."""
    if collector not in _COLLECTORS:
        _COLLECTORS.append(collector)


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
    for collector in _COLLECTORS:
        live.register(collector)
    return counted + generate_latest(live)
