"""The verdict, judged from gathered inputs: plain Python, no database, no Django.

`judge(inputs, at)` decides whether a release is ready and why not, from a
`ReadinessInputs` that `apps.readiness.inputs` gathers in a fixed number of
queries. Settings the verdict depends on (the evidence's maximum age) travel in
the inputs.

The policy shapes the verdict: an advisory item or probe that is open or
failing, and any probe `warn`, is a warning, never a blocker. A blocker with an
approved, unexpired waiver is listed under `waivers` instead; once the waiver
expires it blocks again. While a freeze window of the environment is in effect,
an open release has a `freeze` blocker unless two people approved an emergency
exception for it.

The score is the share of blocking conditions met: blocking gating items,
sign-off roles and blocking probes. A waived condition counts as met; advisory
items and probes are not counted; a freeze changes the verdict, not the score.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from apps.policy.facts import Compact, PolicyFacts


@dataclass(frozen=True)
class Blocker:
    type: str  # "item", "signoff", "probe", "evidence" or "freeze"
    id: str
    text: str
    # Something said no (a blocked item, a rejected sign-off, a failing probe, a
    # freeze), rather than only waiting; the bar's colour says which. Not part
    # of the answer's JSON, nor of a blocker's identity.
    refused: bool = field(default=False, compare=False)

    def as_dict(self) -> dict:
        return {"type": self.type, "id": self.id, "text": self.text}


@dataclass(frozen=True)
class Waived:
    """A blocker that an approved, unexpired waiver lets through."""

    blocker: Blocker
    waiver_id: int
    reason: str
    approved_by: str
    requested_by: str
    expires_at: datetime

    def as_dict(self) -> dict:
        return {
            **self.blocker.as_dict(),
            "waiver": self.waiver_id,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "approved_by": self.approved_by,
            "expires_at": self.expires_at.isoformat(),
        }


@dataclass
class Readiness:
    ready: bool
    score: int
    blockers: list[Blocker] = field(default_factory=list)
    warnings: list[Blocker] = field(default_factory=list)
    waived: list[Waived] = field(default_factory=list)
    freeze: dict | None = None
    items_total: int = 0
    items_settled: int = 0
    roles_total: int = 0
    roles_approved: int = 0
    probes_total: int = 0
    probes_passing: int = 0
    probes_not_run: int = 0
    probes_stale: int = 0

    @property
    def open_items(self) -> int:
        return self.items_total - self.items_settled

    @property
    def missing_signoffs(self) -> int:
        return self.roles_total - self.roles_approved

    @property
    def failing_probes(self) -> int:
        return (
            self.probes_total
            - self.probes_passing
            - self.probes_not_run
            - self.probes_stale
        )

    def as_dict(self) -> dict:
        return {
            "ready": self.ready,
            "score": self.score,
            "blockers": [blocker.as_dict() for blocker in self.blockers],
            "warnings": [warning.as_dict() for warning in self.warnings],
            "waivers": [waived.as_dict() for waived in self.waived],
            "freeze": self.freeze,
        }


class ItemInput(NamedTuple):
    """A checklist item of the release, as the verdict sees it.

    This and EvidenceInput are named tuples, not frozen dataclasses: a
    dashboard page builds some 6,000 of them, which took a tenth of its time
    (docs/benchmarks.md); both are as immutable, and pickle as compactly.
    """

    id: int
    text: str
    note: str
    gates_readiness: bool  # a required check of the pre-deployment phase
    settled: bool  # done or n/a
    blocked: bool
    warned: bool  # its probe evidence is a warning
    advisory: bool
    evidence_result_id: int | None  # an open or blocked item's probe result

    @property
    def pk(self) -> int:
        return self.id


class EvidenceInput(NamedTuple):
    """A result of the release's latest finished probe run."""

    id: int
    config_id: int
    label: str
    summary: str
    failing: bool  # fail or error
    warned: bool
    recorded: int  # epoch seconds

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True)
class DecisionInput(Compact):
    """The latest sign-off decision of a role, and the evidence it was shown."""

    user: str
    approval: bool
    settled: frozenset[int]
    passing: frozenset[int]


@dataclass(frozen=True)
class RoleInput(Compact):
    key: str
    name: str


@dataclass(frozen=True)
class ReadinessInputs:
    """Everything the verdict on one release needs."""

    release_id: int
    open: bool  # draft, in progress or ready
    deployed_at: datetime | None
    roles: tuple[RoleInput, ...]
    items: tuple[ItemInput, ...]
    evidence: tuple[EvidenceInput, ...]
    decisions: dict[str, DecisionInput]  # by role key
    policy: PolicyFacts
    evidence_max_age: float  # seconds (settings.PROBE_EVIDENCE_MAX_AGE)

    def with_item(self, item: ItemInput) -> "ReadinessInputs":
        """These inputs with one item replaced (a tick)."""
        return self.with_items((item,))

    def with_items(self, items: Iterable[ItemInput]) -> "ReadinessInputs":
        """These inputs with the items of the same ids replaced (ticks)."""
        by_id = {item.id: item for item in items}
        return replace(
            self, items=tuple(by_id.get(other.id, other) for other in self.items)
        )


def snapshot(items: Iterable, evidence: Iterable) -> dict:
    """What a sign-off is shown: the settled gating items and passing probes.

    Takes anything with `pk`, `gates_readiness` and `settled` (items) and
    `config_id` and `failing` (results): the inputs or the models.
    """
    return {
        "settled": sorted(i.pk for i in items if i.gates_readiness and i.settled),
        "passing": sorted(r.config_id for r in evidence if not r.failing),
    }


def is_stale(signed: dict, current: dict) -> bool:
    """A sign-off is stale when something it was shown as good is no longer so."""
    return not (
        set(signed.get("settled", ())) <= set(current["settled"])
        and set(signed.get("passing", ())) <= set(current["passing"])
    )


def judge(inputs: ReadinessInputs, at: datetime) -> Readiness:
    """Ready when every blocking gating item is done, n/a or waived, every role
    approved, no blocking probe fails unwaived, and no freeze is in effect.

    `at` is the moment to judge waivers, freezes and the evidence's age at.
    """
    verdict = _Verdict(inputs.policy, at)
    items = _judge_items(inputs, verdict)
    approved = _judge_signoffs(inputs, verdict)
    probes = _judge_probes(inputs, verdict)
    freeze = _freeze(inputs, at)
    if freeze and not freeze["exception"]:
        verdict.blockers.append(
            Blocker(
                "freeze",
                str(freeze["window"]),
                f"Freeze {freeze['name']} until {freeze['until']}"
                + (f": {freeze['reason']}" if freeze["reason"] else ""),
                refused=True,
            )
        )
    roles = len(inputs.roles)
    conditions = items.total + roles + probes.total
    met = items.passing + approved + probes.passing
    score = 100 if conditions == 0 else (met * 100) // conditions
    return Readiness(
        ready=not verdict.blockers,
        score=score,
        blockers=verdict.blockers,
        warnings=verdict.warnings,
        waived=verdict.waived,
        freeze=freeze,
        items_total=items.total,
        items_settled=items.passing,
        roles_total=roles,
        roles_approved=approved,
        probes_total=probes.total,
        probes_passing=probes.passing,
        probes_not_run=probes.not_run,
        probes_stale=probes.stale,
    )


class _Verdict:
    """The lists a verdict is filed into while it is judged."""

    def __init__(self, facts: PolicyFacts, at: datetime) -> None:
        self.facts = facts
        self.at = at
        self.blockers: list[Blocker] = []
        self.warnings: list[Blocker] = []
        self.waived: list[Waived] = []

    def file(self, blocker: Blocker, waivable: tuple[str, str] | None = None) -> bool:
        """File a blocking failure as waived or as a blocker; True when waived."""
        if waivable:
            active, expired = self.facts.waiver_for(*waivable, self.at)
        else:
            active = expired = None
        if active:
            self.waived.append(
                Waived(
                    blocker,
                    active.id,
                    active.reason,
                    active.approved_by or "",
                    active.requested_by,
                    active.expires_at,
                )
            )
            return True
        if expired:
            until = f"{expired.expires_at:%Y-%m-%d %H:%M}"
            blocker = replace(blocker, text=f"{blocker.text} (waiver expired {until})")
        self.blockers.append(blocker)
        return False


@dataclass
class _Count:
    total: int = 0
    passing: int = 0  # settled, approved or passing, waived included
    not_run: int = 0
    stale: int = 0


def _judge_items(inputs: ReadinessInputs, verdict: _Verdict) -> _Count:
    facts, at = inputs.policy, verdict.at
    by_result = {result.id: result for result in inputs.evidence}
    count = _Count()
    for item in inputs.items:
        blocking = not item.advisory
        if not item.gates_readiness or item.settled:
            if item.gates_readiness and blocking:
                count.total += 1
                count.passing += 1
            continue
        if item.blocked:
            reason = "blocked: " + item.note
        elif item.warned:
            reason = f"open: the probe warned, {item.note}; tick it to accept"
        else:
            reason = "open"
        blocker = Blocker(
            "item", str(item.id), f"{item.text} ({reason})", refused=item.blocked
        )
        proof = by_result.get(item.evidence_result_id)
        if not blocking or (
            proof is not None and proof.config_id in facts.advisory_configs
        ):
            verdict.warnings.append(blocker)
            continue
        count.total += 1
        waivable = ("item", str(item.id))
        if proof is not None and facts.waiver_for("probe", str(proof.config_id), at)[0]:
            waivable = ("probe", str(proof.config_id))
        if verdict.file(blocker, waivable):
            count.passing += 1
    return count


def _judge_signoffs(inputs: ReadinessInputs, verdict: _Verdict) -> int:
    """The roles approved on current evidence (or waived); the others are
    blockers."""
    current = snapshot(inputs.items, inputs.evidence)
    approved = 0
    for role in inputs.roles:
        decision = inputs.decisions.get(role.key)
        if decision is None:
            text = f"{role.name}: no sign-off yet"
        elif not decision.approval:
            text = f"{role.name}: rejected by {decision.user}"
        elif is_stale(
            {"settled": decision.settled, "passing": decision.passing}, current
        ):
            text = (
                f"{role.name}: approval by {decision.user} is stale; the "
                "evidence changed since, please look again"
            )
        else:
            approved += 1
            continue
        refused = decision is not None and not decision.approval
        blocker = Blocker("signoff", role.key, text, refused=refused)
        if verdict.file(blocker, ("signoff", role.key)):
            approved += 1
    return approved


def _judge_probes(inputs: ReadinessInputs, verdict: _Verdict) -> _Count:
    """Judge every enabled probe of the environment by its result in the latest
    run: a blocking probe needs a result younger than the evidence's maximum age
    that does not fail; an advisory probe only ever warns.

    A failing result is a blocker of its own. Missing and old evidence are one
    blocker each, naming the probes: a dashboard judges environments of 200
    probes, and a run's results age together. A waiver of a probe lets its
    missing or old evidence through, like its failure.
    """
    facts, at = inputs.policy, verdict.at
    count = _Count()
    max_age = inputs.evidence_max_age
    judged_at = _evidence_judged_at(inputs, at)
    now = judged_at.timestamp() if judged_at is not None else None
    latest = {result.config_id: result for result in inputs.evidence}
    advisory_configs = facts.advisory_configs
    not_run: list[str] = []
    stale: list[str] = []
    oldest = 0.0
    for probe in facts.probes:
        config_id, name = probe.id, probe.name
        advisory = config_id in advisory_configs
        result = latest.get(config_id)
        age = None  # seconds; None without a result
        if result is not None:
            failing = result.failing
            if failing or result.warned:
                # Only these become a line of text (a dashboard judges 4,000).
                blocker = Blocker(
                    "probe",
                    str(result.id),
                    f"{result.label}: {result.summary}",
                    refused=failing,
                )
                if advisory or not failing:
                    verdict.warnings.append(blocker)
            if advisory:
                continue
            count.total += 1
            if failing:
                if verdict.file(blocker, ("probe", str(config_id))):
                    count.passing += 1
                continue
            if now is None or now - result.recorded < max_age:
                count.passing += 1
                continue
            age = now - result.recorded
        elif advisory:
            continue
        else:
            count.total += 1
        active = expired = None
        if facts.waivers:
            waivable = ("probe", str(config_id))
            active, expired = facts.waiver_for(*waivable, at)
        if active:
            what = "no evidence yet" if age is None else f"evidence is {_age(age)} old"
            verdict.file(
                Blocker("evidence", str(config_id), f"{name}: {what}"), waivable
            )
            count.passing += 1
            continue
        if expired:
            name += f" (waiver expired {expired.expires_at:%Y-%m-%d %H:%M})"
        if age is None:
            not_run.append(name)
        else:
            stale.append(name)
            oldest = age if age > oldest else oldest
    if not_run:
        text = f"{_names(not_run)}: no evidence yet"
        verdict.blockers.append(Blocker("evidence", "not_run", text))
    if stale:
        text = f"{_names(stale)}: evidence is {_age(oldest)} old; run probes again"
        verdict.blockers.append(Blocker("evidence", "stale", text))
    count.not_run, count.stale = len(not_run), len(stale)
    return count


def _names(names: list[str], shown: int = 3) -> str:
    """ "A", "A and B", "A, B and C", "A, B, C and 4 more"."""
    if len(names) == 1:
        return names[0]
    if len(names) <= shown:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


def _evidence_judged_at(inputs: ReadinessInputs, at: datetime) -> datetime | None:
    """When the evidence's age counts: now while the release is open; once it is
    deployed, the deployment (its evidence does not age afterwards); never for a
    release cancelled before deployment."""
    if inputs.open:
        return at
    return inputs.deployed_at


def _age(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    return f"{max(1, int(seconds // 60))} min"


def _freeze(inputs: ReadinessInputs, at: datetime) -> dict | None:
    """The freeze in effect for an open release, with any emergency exception."""
    if not inputs.open:
        return None
    found = inputs.policy.freeze_at(at)
    if found is None:
        return None
    window, start, end = found
    exception = inputs.policy.exception_at(at)
    return {
        "window": window.id,
        "name": window.name,
        "reason": window.reason,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "exception": None
        if exception is None
        else {
            "id": exception.id,
            "reason": exception.reason,
            "approved_by": list(exception.approvers),
            "expires_at": exception.expires_at.isoformat(),
        },
    }
