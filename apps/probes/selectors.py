"""Reads of probe runs and evidence for readiness, pages and the API."""

from django.db.models import QuerySet

from apps.probes.models import ProbeResult, ProbeRun
from apps.releases.models import Release


def release_evidence(release: Release) -> list[ProbeResult]:
    """The results of the release's latest finished run: its current evidence."""
    return list(
        ProbeResult.objects.filter(
            run_id__in=ProbeRun.objects.filter(
                release=release, status__in=ProbeRun.FINISHED
            )
            .order_by("-finished_at", "-id")
            .values("id")[:1]
        ).order_by("name")
    )


def probe_runs_for_release(release: Release) -> QuerySet[ProbeRun]:
    return ProbeRun.objects.filter(release=release).order_by("-created_at", "-id")
