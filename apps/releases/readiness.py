"""The one place that decides whether a release is ready, and why not.

Every page, API response and command that shows readiness calls
compute_readiness(). It reads across apps through their selectors and never
writes.
"""

from dataclasses import dataclass, field

from apps.probes import selectors as probe_selectors
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import selectors as signoff_selectors


@dataclass(frozen=True)
class Blocker:
    type: str  # "item", "signoff" or "probe"
    id: str
    text: str

    def as_dict(self) -> dict:
        return {"type": self.type, "id": self.id, "text": self.text}


@dataclass
class Readiness:
    ready: bool
    score: int
    blockers: list[Blocker] = field(default_factory=list)
    items_total: int = 0
    items_settled: int = 0
    roles_total: int = 0
    roles_approved: int = 0
    probes_total: int = 0
    probes_passing: int = 0

    @property
    def open_items(self) -> int:
        return self.items_total - self.items_settled

    @property
    def missing_signoffs(self) -> int:
        return self.roles_total - self.roles_approved

    @property
    def failing_probes(self) -> int:
        return self.probes_total - self.probes_passing

    def as_dict(self) -> dict:
        return {
            "ready": self.ready,
            "score": self.score,
            "blockers": [blocker.as_dict() for blocker in self.blockers],
        }


def compute_readiness(release: Release, items=None) -> Readiness:
    """Ready when every gating item is done or n/a, every role approved, and no
    probe evidence fails. The score is the share of those conditions met."""
    if items is None:
        items = release.items.only(
            "id", "text", "state", "note", "required", "kind", "phase"
        )
    blockers: list[Blocker] = []
    total = settled = 0
    for item in items:
        if not item.gates_readiness:
            continue
        total += 1
        if item.settled:
            settled += 1
            continue
        reason = (
            "blocked: " + item.note
            if item.state == ReleaseItem.State.BLOCKED
            else ("open")
        )
        blockers.append(Blocker("item", str(item.pk), f"{item.text} ({reason})"))

    decisions = signoff_selectors.current_decisions(release)
    approved = 0
    for role in release.signoff_roles:
        decision = decisions.get(role["key"])
        if decision is None:
            blockers.append(
                Blocker("signoff", role["key"], f"{role['name']}: no sign-off yet")
            )
        elif not decision.is_approval:
            blockers.append(
                Blocker(
                    "signoff",
                    role["key"],
                    f"{role['name']}: rejected by {decision.user}",
                )
            )
        else:
            approved += 1

    evidence = probe_selectors.release_evidence(release)
    probe_blockers = [
        Blocker("probe", str(result.pk), f"{result.label}: {result.summary}")
        for result in evidence
        if result.failing
    ]
    blockers += probe_blockers

    conditions = total + len(release.signoff_roles) + len(evidence)
    met = settled + approved + len(evidence) - len(probe_blockers)
    score = 100 if conditions == 0 else (met * 100) // conditions
    return Readiness(
        ready=not blockers,
        score=score,
        blockers=blockers,
        items_total=total,
        items_settled=settled,
        roles_total=len(release.signoff_roles),
        roles_approved=approved,
        probes_total=len(evidence),
        probes_passing=len(evidence) - len(probe_blockers),
    )
