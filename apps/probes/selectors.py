"""Reads of probe evidence for readiness and pages."""

from apps.releases.models import Release


def release_evidence(release: Release) -> list:
    """The latest result of each probe of the release's environment.

    Each element has pk, label, summary and failing. Probe runs are recorded by
    the probe-runs feature; until a release has any, there is no evidence.
    """
    return []
