"""The one place that decides whether a release is ready, and why not.

Every page, API response and command that shows readiness calls
compute_readiness(). It reads across apps through their selectors and never
writes.

The policy (apps.policy) shapes the verdict: an advisory item or probe that is
open or failing, and any probe `warn`, is a warning, never a blocker. A blocker
with an approved, unexpired waiver is listed under `waivers` instead; once the
waiver expires it blocks again. While a freeze window of the environment is in
effect, an open release has a `freeze` blocker unless two people approved an
emergency exception for it.

The score is the share of blocking conditions met: blocking gating items,
sign-off roles and blocking probes. A waived condition counts as met; advisory
items and probes are not counted; a freeze changes the verdict, not the score.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from apps.policy import selectors as policy_selectors
from apps.probes import selectors as probe_selectors
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release, ReleaseItem
from apps.releases.selectors import GatingItem
from apps.signoffs import selectors as signoff_selectors


@dataclass(frozen=True)
class Blocker:
    type: str  # "item", "signoff", "probe", "evidence" or "freeze"
    id: str
    text: str

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


def evidence_snapshot(release: Release, items=None, evidence=None) -> dict:
    """What a sign-off is given: the settled gating items and passing probes."""
    if items is None:
        items = release.items.only("id", "state", "required", "kind", "phase")
    if evidence is None:
        evidence = probe_selectors.release_evidence(release)
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


def compute_readiness(
    release: Release,
    items=None,
    *,
    at: datetime | None = None,
    evidence: list | None = None,
    decisions: dict | None = None,
    facts: "policy_selectors.PolicyFacts | None" = None,
) -> Readiness:
    """Ready when every blocking gating item is done, n/a or waived, every role
    approved, no blocking probe fails unwaived, and no freeze is in effect.

    `at` is the moment to judge waivers and freezes at; now by default.
    """
    at = at or timezone.now()
    if items is None:
        items = list(
            # release_id too: the related manager sets it on every row, and a
            # deferred foreign key would be loaded one query per item.
            release.items.only(*GatingItem.FIELDS)
        )
    if evidence is None:
        evidence = probe_selectors.release_evidence(release)
    if facts is None:
        facts = policy_selectors.readiness_facts(release)
    current = evidence_snapshot(release, items, evidence)
    blockers: list[Blocker] = []
    warnings: list[Blocker] = []
    waived: list[Waived] = []

    def judge(blocker: Blocker, waivable: tuple[str, str] | None = None) -> bool:
        """File a blocking failure as waived or as a blocker; True when waived."""
        active, expired = facts.waiver_for(*waivable, at) if waivable else (None, None)
        if active:
            waived.append(
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
            blocker = Blocker(
                blocker.type,
                blocker.id,
                f"{blocker.text} (waiver expired {expired.expires_at:%Y-%m-%d %H:%M})",
            )
        blockers.append(blocker)
        return False

    by_result = {result.pk: result for result in evidence}
    total = settled = 0
    for item in items:
        blocking = item.pk not in facts.advisory_items
        if not item.gates_readiness or item.settled:
            if item.gates_readiness and blocking:
                total += 1
                settled += 1
            continue
        if item.state == ReleaseItem.State.BLOCKED:
            reason = "blocked: " + item.note
        elif item.evidence_status == "warn":
            reason = f"open: the probe warned, {item.note}; tick it to accept"
        else:
            reason = "open"
        blocker = Blocker("item", str(item.pk), f"{item.text} ({reason})")
        proof = by_result.get(facts.item_evidence.get(item.pk))
        if not blocking or (
            proof is not None and proof.config_id in facts.advisory_configs
        ):
            warnings.append(blocker)
            continue
        total += 1
        waivable = ("item", str(item.pk))
        if proof is not None and facts.waiver_for("probe", str(proof.config_id), at)[0]:
            waivable = ("probe", str(proof.config_id))
        if judge(blocker, waivable):
            settled += 1

    if decisions is None:
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
        elif is_stale(decision.evidence, current):
            blockers.append(
                Blocker(
                    "signoff",
                    role["key"],
                    f"{role['name']}: approval by {decision.user} is stale; the "
                    "evidence changed since, please look again",
                )
            )
        else:
            approved += 1

    probes = _judge_probes(release, evidence, facts, at, judge, blockers, warnings)

    freeze = _freeze(release, facts, at)
    if freeze and not freeze["exception"]:
        blockers.append(
            Blocker(
                "freeze",
                str(freeze["window"]),
                f"Freeze {freeze['name']} until {freeze['until']}"
                + (f": {freeze['reason']}" if freeze["reason"] else ""),
            )
        )

    conditions = total + len(release.signoff_roles) + probes.total
    met = settled + approved + probes.passing
    score = 100 if conditions == 0 else (met * 100) // conditions
    return Readiness(
        ready=not blockers,
        score=score,
        blockers=blockers,
        warnings=warnings,
        waived=waived,
        freeze=freeze,
        items_total=total,
        items_settled=settled,
        roles_total=len(release.signoff_roles),
        roles_approved=approved,
        probes_total=probes.total,
        probes_passing=probes.passing,
        probes_not_run=probes.not_run,
        probes_stale=probes.stale,
    )


@dataclass
class _ProbeCount:
    total: int = 0
    passing: int = 0
    not_run: int = 0
    stale: int = 0


def _judge_probes(
    release, evidence, facts, at, judge, blockers, warnings
) -> _ProbeCount:
    """Judge every enabled probe of the environment by its result in the latest
    run: a blocking probe needs a result younger than PROBE_EVIDENCE_MAX_AGE that
    does not fail; an advisory probe only ever warns.

    A failing result is a blocker of its own, as before. Missing and old evidence
    are one blocker each, naming the probes: a dashboard judges environments of
    200 probes, and a run's results age together. A waiver of a probe lets its
    missing or old evidence through, like its failure.
    """
    total = passing = 0
    max_age = settings.PROBE_EVIDENCE_MAX_AGE.total_seconds()
    judged_at = _evidence_judged_at(release, at)
    now = judged_at.timestamp() if judged_at is not None else None
    latest = {result.config_id: result for result in evidence}
    advisory_configs = facts.advisory_configs
    not_run: list[str] = []
    stale: list[str] = []
    oldest = 0.0
    for config_id, name in facts.probes:
        advisory = config_id in advisory_configs
        result = latest.get(config_id)
        age = None  # seconds; None without a result
        if result is not None:
            failing = result.failing
            if failing or result.status == "warn":
                # Only these become a line of text (a dashboard judges 4,000).
                blocker = Blocker(
                    "probe", str(result.pk), f"{result.label}: {result.summary}"
                )
                if advisory or not failing:
                    warnings.append(blocker)
            if advisory:
                continue
            total += 1
            if failing:
                if judge(blocker, ("probe", str(config_id))):
                    passing += 1
                continue
            if now is None or now - result.recorded < max_age:
                passing += 1
                continue
            age = now - result.recorded
        elif advisory:
            continue
        else:
            total += 1
        active = expired = None
        if facts.waivers:
            waivable = ("probe", str(config_id))
            active, expired = facts.waiver_for(*waivable, at)
        if active:
            what = "no evidence yet" if age is None else f"evidence is {_age(age)} old"
            judge(Blocker("evidence", str(config_id), f"{name}: {what}"), waivable)
            passing += 1
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
        blockers.append(Blocker("evidence", "not_run", text))
    if stale:
        text = f"{_names(stale)}: evidence is {_age(oldest)} old; run probes again"
        blockers.append(Blocker("evidence", "stale", text))
    return _ProbeCount(total, passing, len(not_run), len(stale))


def _names(names: list[str], shown: int = 3) -> str:
    """ "A", "A and B", "A, B and C", "A, B, C and 4 more"."""
    if len(names) == 1:
        return names[0]
    if len(names) <= shown:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


def _evidence_judged_at(release: Release, at: datetime) -> datetime | None:
    """When the evidence's age counts: now while the release is open; once it is
    deployed, the deployment (its evidence does not age afterwards); never for a
    release cancelled before deployment."""
    if release.status in OPEN_STATUSES:
        return at
    return release.deployed_at


def _age(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    return f"{max(1, int(seconds // 60))} min"


def _freeze(release: Release, facts, at: datetime) -> dict | None:
    """The freeze in effect for an open release, with any emergency exception."""
    if release.status not in OPEN_STATUSES:
        return None
    found = facts.freeze_at(at)
    if found is None:
        return None
    window, start, end = found
    exception = facts.exception_at(at)
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


def compute_readiness_many(
    releases: list[Release], items_by_release: dict, *, at: datetime | None = None
) -> dict[int, Readiness]:
    """compute_readiness() for many releases (a dashboard page), with the
    evidence and sign-off decisions of all of them read in one query each."""
    at = at or timezone.now()
    ids = [release.pk for release in releases]
    evidence = probe_selectors.release_evidence_many(ids)
    decisions = signoff_selectors.current_decisions_many(ids)
    facts = policy_selectors.readiness_facts_many(releases)
    return {
        release.pk: compute_readiness(
            release,
            items_by_release.get(release.pk, []),
            at=at,
            evidence=evidence.get(release.pk, []),
            decisions=decisions.get(release.pk, {}),
            facts=facts[release.pk],
        )
        for release in releases
    }
