"""The audit chain's figures for /metrics: the latest scheduled verification's
outcome, read when Prometheus scrapes (apps.core.metrics), not a new walk."""

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from apps.audit.models import AuditVerification

logger = logging.getLogger("apps.core.metrics")


def _audit_chain_state() -> dict | None:
    """The latest scheduled verification's outcome, not a new walk."""
    latest = AuditVerification.objects.order_by("-created_at", "-id").first()
    if latest is None:
        return None
    return {
        "ok": latest.ok,
        "checked": latest.checked,
        "at": latest.created_at.timestamp(),
    }


class AuditChainCollector:
    """Whether the chain was intact at its last verification, and when that was."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
