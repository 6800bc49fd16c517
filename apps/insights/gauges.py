"""Delivery figures for /metrics: production deploys by service and result, the
change fail ratio and the lead time's quantiles of the last 26 weeks, read from
the database when Prometheus scrapes (apps.core.metrics) and cached briefly."""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from apps.insights import metrics
from apps.insights.selectors import DEFAULT_WEEKS
from apps.releases.models import Release

logger = logging.getLogger("apps.core.metrics")

CACHE_KEY = "shipshape:metrics:delivery"
CACHE_SECONDS = 60


def _state() -> dict:
    state = cache.get(CACHE_KEY)
    if state is None:
        now = timezone.now()
        scope = metrics.Scope(since=now - timedelta(weeks=DEFAULT_WEEKS), until=now)
        found = metrics.delivery_metrics(scope)
        totals = (
            Release.objects.filter(
                environment__production=True, deployed_at__isnull=False
            )
            .values("service__name", "deploy_result")
            .annotate(count=Count("id"))
            .order_by("service__name", "deploy_result")
        )
        state = {
            "deploys": [
                [
                    row["service__name"],
                    row["deploy_result"] or "succeeded",
                    row["count"],
                ]
                for row in totals
            ],
            "services": [
                [
                    row["service_name"],
                    row["environment_name"],
                    row["change_fail_rate"],
                    [
                        row["change_lead_time"],
                        row["change_lead_time_p75"],
                        row["change_lead_time_p90"],
                        row["commits"],
                    ],
                ]
                for row in found["by_service"]
            ],
        }
        cache.set(CACHE_KEY, state, CACHE_SECONDS)
    return state


def _families(state: dict) -> Iterator:
    deploys = CounterMetricFamily(
        "shipshape_production_deploys",
        "Production deploys recorded, by service and deploy result.",
        labels=["service", "result"],
    )
    for service, result, count in state["deploys"]:
        deploys.add_metric([service, result], count)
    yield deploys
    ratio = GaugeMetricFamily(
        "shipshape_change_fail_ratio",
        "Failed ÷ successful production deploys of the last 26 weeks, by service "
        "and environment.",
        labels=["service", "environment"],
    )
    lead = GaugeMetricFamily(
        "shipshape_change_lead_time_hours",
        "Commit to production deploy, hours, last 26 weeks: quantiles by service "
        "and environment.",
        labels=["service", "environment", "quantile"],
    )
    samples = GaugeMetricFamily(
        "shipshape_change_lead_time_commits",
        "Commits behind the lead time quantiles, by service and environment.",
        labels=["service", "environment"],
    )
    for service, environment, fail_rate, (p50, p75, p90, size) in state["services"]:
        if fail_rate is not None:
            ratio.add_metric([service, environment], fail_rate)
        for quantile, value in (("0.5", p50), ("0.75", p75), ("0.9", p90)):
            if value is not None:
                lead.add_metric([service, environment, quantile], value)
        samples.add_metric([service, environment], size)
    yield ratio
    yield lead
    yield samples


class DeliveryCollector:
    """Deploy counts, change fail ratio and lead time, cached CACHE_SECONDS."""

    def collect(self) -> Iterator:
        try:
            yield from _families(_state())
        except Exception as error:
            logger.warning("metrics: delivery figures not read: %s", error)
