"""The one place that decides whether a release is ready, and why not.

Every page, API response and command that shows readiness calls
compute_readiness(): it gathers the inputs (apps.readiness.inputs, a fixed
number of queries) and judges them (apps.readiness.judge, plain Python, where
the rules are written down). It never writes.
"""

from datetime import datetime

from django.utils import timezone

from apps.policy.facts import PolicyFacts
from apps.probes import selectors as probe_selectors
from apps.readiness import judge
from apps.readiness.inputs import readiness_inputs, readiness_inputs_many
from apps.readiness.judge import Blocker, Readiness, Waived
from apps.releases.models import Release

__all__ = [
    "Blocker",
    "Readiness",
    "Waived",
    "compute_readiness",
    "compute_readiness_many",
    "evidence_snapshot",
    "is_stale",
]

is_stale = judge.is_stale


def evidence_snapshot(release: Release, items=None, evidence=None) -> dict:
    """What a sign-off is given: the settled gating items and passing probes."""
    if items is None:
        items = release.items.only("id", "state", "required", "kind", "phase")
    if evidence is None:
        evidence = probe_selectors.release_evidence(release)
    return judge.snapshot(items, evidence)


def compute_readiness(
    release: Release,
    items=None,
    *,
    at: datetime | None = None,
    evidence: list | None = None,
    decisions: dict | None = None,
    facts: PolicyFacts | None = None,
) -> Readiness:
    """Ready when every blocking gating item is done, n/a or waived, every role
    approved, no blocking probe fails unwaived, and no freeze is in effect
    (apps.readiness.judge says how).

    `at` is the moment to judge waivers and freezes at; now by default.
    """
    inputs = readiness_inputs(
        release, items, evidence=evidence, decisions=decisions, facts=facts
    )
    return judge.judge(inputs, at or timezone.now())


def compute_readiness_many(
    releases: list[Release], items_by_release: dict, *, at: datetime | None = None
) -> dict[int, Readiness]:
    """compute_readiness() for many releases (a dashboard page), with the
    evidence, sign-off decisions and policy facts of all of them read in one
    query each."""
    at = at or timezone.now()
    inputs = readiness_inputs_many(releases, items_by_release)
    return {release.pk: judge.judge(inputs[release.pk], at) for release in releases}
