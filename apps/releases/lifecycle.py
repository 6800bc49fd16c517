"""The release lifecycle: which status may follow which. Read only by
release_transition()."""

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


def allowed(current: str) -> frozenset[str]:
    return TRANSITIONS.get(current, frozenset())


def needs_override(current: str, target: str) -> bool:
    return target in OVERRIDES.get(current, frozenset())
