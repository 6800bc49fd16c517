"""Probe figures for /metrics: results of the last hour by kind and status, and
run durations, read from the database when Prometheus scrapes (apps.core.metrics)."""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily

from apps.probes.models import ProbeResult, ProbeRun

logger = logging.getLogger("apps.core.metrics")

# Probe figures come from the database, shared by every pod for a while.
PROBE_CACHE_KEY = "shipshape:metrics:probes"
PROBE_CACHE_SECONDS = 30
PROBE_WINDOW_SECONDS = 3600
RUN_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300)


def _probe_state() -> dict:
    state = cache.get(PROBE_CACHE_KEY)
    if state is None:
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


class ProbeCollector:
    """Probe results and run durations, cached for PROBE_CACHE_SECONDS."""

    def collect(self) -> Iterator:
        try:
            yield from _probe_families(_probe_state())
        except Exception as error:
            logger.warning("metrics: probe results not read: %s", error)
