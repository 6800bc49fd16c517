"""Turning a finished run's results into checklist evidence."""

from django.utils import timezone

from apps.audit import services as audit
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases.models import ReleaseItem


def apply(run: ProbeRun) -> int:
    """Tick the items whose probes all passed, block those with a failing probe.

    Items are matched by text, so evidence works across template versions. An
    item a person marked not applicable is left alone. Returns items changed.
    """
    results = {r.config_id: r for r in run.results.all()}
    verified_by: dict[str, list[ProbeResult]] = {}
    configs = ProbeConfig.objects.filter(pk__in=results).prefetch_related("verifies")
    for config in configs:
        for template_item in config.verifies.all():
            verified_by.setdefault(template_item.text.lower(), []).append(
                results[config.pk]
            )
    if not verified_by:
        return 0
    changed = 0
    items = ReleaseItem.objects.filter(release_id=run.release_id, kind="check")
    for item in items:
        proofs = verified_by.get(item.text.lower())
        if not proofs or item.state == ReleaseItem.State.NOT_APPLICABLE:
            continue
        failing = [r for r in proofs if r.failing]
        if failing:
            state = ReleaseItem.State.BLOCKED
            note = "; ".join(f"{r.name}: {r.summary}" for r in failing)[:2000]
            proof = failing[0]
        else:
            state = ReleaseItem.State.DONE
            note = "Verified by probe " + ", ".join(r.name for r in proofs)
            proof = proofs[0]
        if (item.state, item.note, item.evidence_result_id) == (state, note, proof.pk):
            continue
        before = {"state": item.state, "note": item.note}
        item.state, item.note, item.evidence_result_id = state, note, proof.pk
        item.changed_by, item.changed_at = None, timezone.now()
        item.save(
            update_fields=[
                "state",
                "note",
                "evidence_result_id",
                "changed_by",
                "changed_at",
            ]
        )
        audit.record(
            actor=None,
            actor_label=f"probe run #{run.pk}",
            action="release_item.state_changed",
            target=item,
            team_id=run.release.team_id,
            release_id=run.release_id,
            before={"text": item.text, **before},
            after={"state": state, "note": note, "evidence_result": proof.pk},
        )
        changed += 1
    return changed
