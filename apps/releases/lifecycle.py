"""The release lifecycle: which status may follow which (read only by
release_transition()), and what may still change in each status: the one guard of
item changes and of probe runs, used by the services, the pages and the API."""

from apps.releases.models import Release

S = Release.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.READY, S.DRAFT, S.CANCELLED}),
    S.READY: frozenset({S.DEPLOYED, S.IN_PROGRESS, S.CANCELLED}),
    S.DEPLOYED: frozenset({S.ROLLED_BACK}),
    S.ROLLED_BACK: frozenset(),
    S.CANCELLED: frozenset(),
}

# Moves a lead may force with a written reason, beyond the table above.
OVERRIDES: dict[str, frozenset[str]] = {
    S.IN_PROGRESS: frozenset({S.DEPLOYED}),
}

# Targets that need a written reason even without an override.
REASON_REQUIRED = frozenset({S.ROLLED_BACK, S.CANCELLED})

# Targets entered only on a ready verdict, judged again at the moment of the
# move, or by a lead's override that keeps the blockers it overrode.
VERDICT_REQUIRED = frozenset({S.READY, S.DEPLOYED})
# Targets that open a release again: an override it was given no longer stands.
REOPENED = frozenset({S.DRAFT, S.IN_PROGRESS})

# Statuses in which the checklist and sign-offs can still change.
OPEN_STATUSES = frozenset({S.DRAFT, S.IN_PROGRESS, S.READY})
# After deployment, post-deployment checks and procedure steps may still be ticked.
TICKABLE_STATUSES = OPEN_STATUSES | {S.DEPLOYED}
# Probe runs gather evidence for the verdict, so only while it can still change;
# after deployment the verification window checks the release instead.
PROBE_RUN_STATUSES = OPEN_STATUSES


def allowed(current: str) -> frozenset[str]:
    return TRANSITIONS.get(current, frozenset())


def needs_override(current: str, target: str) -> bool:
    return target in OVERRIDES.get(current, frozenset())


def item_refusal(status: str, item) -> str:
    """Why an item of a release in this status cannot change now; "" when it can.

    release_item_set_state() enforces it for people and probe evidence alike;
    pages and the API use it to offer, or not, the change.
    """
    if status not in TICKABLE_STATUSES:
        return f"A {S(status).label.lower()} release can no longer change."
    if status == S.DEPLOYED and item.gates_readiness:
        return "Pre-deployment items are final once the release is deployed."
    return ""


def item_editable(status: str, item) -> bool:
    return not item_refusal(status, item)


def probe_run_refusal(status: str) -> str:
    """Why no probe run may start for a release in this status; "" when one may."""
    if status in PROBE_RUN_STATUSES:
        return ""
    reason = (
        f"This release is {S(status).label.lower()}: probes run only for open "
        "releases (draft, in progress, ready)."
    )
    if status == S.DEPLOYED:
        reason += " A verification window checks a deployed release."
    return reason
