"""Turning a finished run's results into checklist evidence."""

from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases import lifecycle
from apps.releases import services as releases
from apps.releases.models import ReleaseItem

State = ReleaseItem.State
NOTE = 2000


def judge(item: ReleaseItem, proofs: list[ProbeResult]) -> tuple | None:
    """The (state, note, result behind it) an item's probe results call for, or
    None to leave the item as it is.

    Only `pass` verifies: every probe passing makes the item done. A failing or
    erroring probe blocks it. A warning leaves it open with the warning as its
    note, for a person to accept by ticking it; a warning that person already
    accepted stands until the probe passes or fails.
    """
    failing = [r for r in proofs if r.failing]
    if failing:
        note = "; ".join(f"{r.name}: {r.summary}" for r in failing)
        return State.BLOCKED, note[:NOTE], failing[0]
    warned = [r for r in proofs if r.status == ProbeResult.Status.WARN]
    if not warned:
        note = "Verified by probe " + ", ".join(r.name for r in proofs)
        return State.DONE, note[:NOTE], proofs[0]
    if item.state == State.DONE and item.accepted_warning:
        return None
    note = "; ".join(f"{r.name}: {r.summary}" for r in warned)
    return State.OPEN, note[:NOTE], warned[0]


def apply(run: ProbeRun) -> int:
    """Set the state of the items the run's probes verify; returns items changed.

    Items are matched by text, so evidence works across template versions. An
    item a person marked not applicable is left alone, and so is an item the
    lifecycle no longer lets change (a pre-deployment item of a deployed
    release): evidence goes through the same service and guard as a person.
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
    status = run.release.status
    changed = 0
    items = ReleaseItem.objects.filter(release_id=run.release_id, kind="check")
    for item in items:
        proofs = verified_by.get(item.text.lower())
        if not proofs or item.state == State.NOT_APPLICABLE:
            continue
        if not lifecycle.item_editable(status, item):
            continue
        verdict = judge(item, proofs)
        if verdict is None:
            continue
        state, note, proof = verdict
        if (item.state, item.note, item.evidence_result_id) == (state, note, proof.pk):
            continue
        releases.release_item_set_state(
            item=item,
            state=state,
            note=note,
            proof=releases.Proof(run.pk, proof.pk, proof.status),
        )
        changed += 1
    return changed
