"""What apps.readiness answers through apps.core.verdict (installed in ready())."""

from apps.core import verdict
from apps.probes import selectors as probe_selectors
from apps.readiness import readiness

PROVIDER = verdict.Provider(
    readiness=readiness.compute_readiness,
    evidence_snapshot=readiness.evidence_snapshot,
    verified_item_sql=probe_selectors.verified_item_sql,
)
