"""Gather what the verdict needs, in a fixed number of queries, as judge inputs.

`readiness_inputs_many(releases)` reads the items, the latest run's evidence,
the sign-off decisions and the policy facts of any number of releases in four
queries (fewer when the caller passes what it has already read), however many
items, sign-offs and results they hold; `apps.readiness.judge` then judges them
without the database.
"""

from django.conf import settings

from apps.checklists.models import Severity
from apps.policy import selectors as policy_selectors
from apps.policy.facts import PolicyFacts
from apps.probes import selectors as probe_selectors
from apps.readiness.judge import (
    DecisionInput,
    EvidenceInput,
    ItemInput,
    ReadinessInputs,
    RoleInput,
)
from apps.releases import selectors as release_selectors
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release, ReleaseItem
from apps.releases.selectors import GatingItem
from apps.signoffs import selectors as signoff_selectors


def readiness_inputs(
    release: Release,
    items=None,
    *,
    evidence: list | None = None,
    decisions: dict | None = None,
    facts: PolicyFacts | None = None,
) -> ReadinessInputs:
    """The inputs of one release's verdict; what the caller passes is not read
    again (`items`: the release's items, model instances or `GatingItem`s)."""
    if items is None:
        # release_id too: the related manager sets it on every row, and a
        # deferred foreign key would be loaded one query per item.
        items = list(release.items.only(*GatingItem.FIELDS))
    if evidence is None:
        evidence = probe_selectors.release_evidence(release)
    if decisions is None:
        decisions = signoff_selectors.current_decisions(release)
    if facts is None:
        facts = policy_selectors.readiness_facts(release)
    return _inputs(release, items, evidence, decisions, facts)


def readiness_inputs_many(
    releases: list[Release], items_by_release: dict | None = None
) -> dict[int, ReadinessInputs]:
    """readiness_inputs() of many releases (a dashboard page): the evidence,
    decisions and policy facts of all of them in one query each, and their
    gating items in one more unless the caller has them."""
    ids = [release.pk for release in releases]
    if items_by_release is None:
        items_by_release = release_selectors.gating_items_many(ids)
    evidence = probe_selectors.release_evidence_many(ids)
    decisions = signoff_selectors.current_decisions_many(ids)
    facts = policy_selectors.readiness_facts_many(releases)
    return {
        release.pk: _inputs(
            release,
            items_by_release.get(release.pk, []),
            evidence.get(release.pk, []),
            decisions.get(release.pk, {}),
            facts[release.pk],
        )
        for release in releases
    }


def item_input(item, facts: PolicyFacts) -> ItemInput:
    """An item (a model instance or a `GatingItem`) as the verdict sees it; its
    severity and probe evidence come from the policy facts' one query."""
    # Positional, in the fields' order: a dashboard builds over a thousand.
    return ItemInput(
        item.pk,
        item.text,
        item.note,
        item.gates_readiness,
        item.settled,
        item.state == ReleaseItem.State.BLOCKED,
        item.evidence_status == "warn",
        item.pk in facts.advisory_items,
        facts.item_evidence.get(item.pk),
    )


def changed_item_input(item: ReleaseItem) -> ItemInput:
    """An item just written, fully loaded, as the verdict sees it: its severity
    and evidence as `readiness_facts` would read them now."""
    evidence = None
    if item.state in (ReleaseItem.State.BLOCKED, ReleaseItem.State.OPEN):
        evidence = item.evidence_result_id
    facts = PolicyFacts(
        advisory_items=frozenset(
            [item.pk] if item.severity == Severity.ADVISORY else []
        ),
        item_evidence={} if evidence is None else {item.pk: evidence},
    )
    return item_input(item, facts)


def _inputs(release, items, evidence, decisions, facts) -> ReadinessInputs:
    return ReadinessInputs(
        release_id=release.pk,
        open=release.status in OPEN_STATUSES,
        deployed_at=release.deployed_at,
        roles=tuple(
            RoleInput(key=role["key"], name=role["name"])
            for role in release.signoff_roles
        ),
        items=tuple(item_input(item, facts) for item in items),
        # Positional, in the fields' order (id, config_id, label, summary,
        # failing, warned, recorded): a dashboard builds 4,000.
        evidence=tuple(
            EvidenceInput(
                result.pk,
                result.config_id,
                result.label,
                result.summary,
                result.failing,
                result.status == "warn",
                result.recorded,
            )
            for result in evidence
        ),
        decisions={
            key: DecisionInput(
                user=str(signoff.user),
                approval=signoff.is_approval,
                settled=frozenset(signoff.evidence.get("settled", ())),
                passing=frozenset(signoff.evidence.get("passing", ())),
            )
            for key, signoff in decisions.items()
        },
        policy=facts,
        evidence_max_age=settings.PROBE_EVIDENCE_MAX_AGE.total_seconds(),
    )
