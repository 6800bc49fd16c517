"""judge(inputs, at): the verdict from plain inputs, no database (like the kinds).

These tests never take the `db` fixture, so pytest-django refuses any query.
"""

from datetime import UTC, datetime, timedelta

from apps.policy.facts import (
    ExceptionFact,
    FreezeFact,
    PolicyFacts,
    ProbeFact,
    WaiverFact,
)
from apps.readiness.judge import (
    DecisionInput,
    EvidenceInput,
    ItemInput,
    ReadinessInputs,
    RoleInput,
    judge,
)

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = 24 * 3600.0


def item(pk: int, text: str = "Check", **fields) -> ItemInput:
    values = {
        "id": pk,
        "text": text,
        "note": "",
        "gates_readiness": True,
        "settled": False,
        "blocked": False,
        "warned": False,
        "advisory": False,
        "evidence_result_id": None,
        **fields,
    }
    return ItemInput(**values)


def result(pk: int, config_id: int, **fields) -> EvidenceInput:
    values = {
        "id": pk,
        "config_id": config_id,
        "label": f"probe {config_id}",
        "summary": "ok",
        "failing": False,
        "warned": False,
        "recorded": int(AT.timestamp()) - 60,
        **fields,
    }
    return EvidenceInput(**values)


def inputs(**fields) -> ReadinessInputs:
    values = {
        "release_id": 1,
        "open": True,
        "deployed_at": None,
        "roles": (),
        "items": (),
        "evidence": (),
        "decisions": {},
        "policy": PolicyFacts(),
        "evidence_max_age": DAY,
        **fields,
    }
    return ReadinessInputs(**values)


def waiver(blocker_type: str, blocker_id: str, expires_at: datetime) -> WaiverFact:
    return WaiverFact(
        id=7,
        blocker_type=blocker_type,
        blocker_id=blocker_id,
        label="x",
        reason="known flake",
        expires_at=expires_at,
        approved_by="lead",
        requested_by="engineer",
    )


def test_nothing_to_judge_is_ready_at_100():
    verdict = judge(inputs(), AT)

    assert verdict.ready is True
    assert verdict.score == 100
    assert verdict.as_dict() == {
        "ready": True,
        "score": 100,
        "blockers": [],
        "warnings": [],
        "waivers": [],
        "freeze": None,
    }


def test_open_and_blocked_items_block_with_their_reason():
    verdict = judge(
        inputs(
            items=(
                item(1, "Backup", settled=True),
                item(2, "Migrations"),
                item(3, "Smoke test", blocked=True, note="staging down"),
                item(4, "Optional", gates_readiness=False),
            )
        ),
        AT,
    )

    assert [b.as_dict() for b in verdict.blockers] == [
        {"type": "item", "id": "2", "text": "Migrations (open)"},
        {"type": "item", "id": "3", "text": "Smoke test (blocked: staging down)"},
    ]
    assert (verdict.items_total, verdict.items_settled, verdict.open_items) == (3, 1, 2)
    assert verdict.score == 33


def test_an_item_left_open_by_a_probe_warning_says_so():
    verdict = judge(inputs(items=(item(5, "TLS", warned=True, note="expires"),)), AT)

    assert [b.text for b in verdict.blockers] == [
        "TLS (open: the probe warned, expires; tick it to accept)"
    ]


def test_an_advisory_item_warns_and_is_not_counted():
    verdict = judge(inputs(items=(item(6, "Docs", advisory=True),)), AT)

    assert verdict.ready is True
    assert [w.text for w in verdict.warnings] == ["Docs (open)"]
    assert (verdict.items_total, verdict.score) == (0, 100)


def test_an_item_blocked_by_an_advisory_probe_only_warns():
    facts = PolicyFacts(probes=(ProbeFact(9, "lint"),), advisory_configs={9})
    evidence = (result(90, 9, failing=True, summary="3 errors"),)
    blocked = item(6, "Lint", blocked=True, note="lint", evidence_result_id=90)

    verdict = judge(inputs(items=(blocked,), evidence=evidence, policy=facts), AT)

    assert verdict.blockers == []
    assert [w.text for w in verdict.warnings] == [
        "Lint (blocked: lint)",
        "probe 9: 3 errors",
    ]


def test_an_approved_waiver_lets_an_item_through_until_it_expires():
    expires = AT + timedelta(hours=1)
    facts = PolicyFacts(waivers=(waiver("item", "2", expires),))
    waived = inputs(items=(item(2, "Migrations"),), policy=facts)

    before, after = judge(waived, AT), judge(waived, expires)

    assert before.ready is True
    assert before.score == 100
    assert [w.as_dict() for w in before.waived] == [
        {
            "type": "item",
            "id": "2",
            "text": "Migrations (open)",
            "waiver": 7,
            "reason": "known flake",
            "requested_by": "engineer",
            "approved_by": "lead",
            "expires_at": "2026-03-02T13:00:00+00:00",
        }
    ]
    assert [b.text for b in after.blockers] == [
        "Migrations (open) (waiver expired 2026-03-02 13:00)"
    ]


def test_sign_offs_missing_rejected_stale_and_approved():
    roles = tuple(RoleInput(key, key.upper()) for key in ("qa", "sec", "ops", "dba"))
    shown = frozenset({1})
    decisions = {
        "sec": DecisionInput("mallory", False, frozenset(), frozenset()),
        "ops": DecisionInput("olga", True, shown, frozenset({44})),
        "dba": DecisionInput("dana", True, shown, frozenset()),
    }
    items = (item(1, settled=True),)

    verdict = judge(inputs(roles=roles, decisions=decisions, items=items), AT)

    assert [b.as_dict() for b in verdict.blockers] == [
        {"type": "signoff", "id": "qa", "text": "QA: no sign-off yet"},
        {"type": "signoff", "id": "sec", "text": "SEC: rejected by mallory"},
        {
            "type": "signoff",
            "id": "ops",
            "text": "OPS: approval by olga is stale; the evidence changed since, "
            "please look again",
        },
    ]
    assert (verdict.roles_total, verdict.roles_approved) == (4, 1)
    assert verdict.score == 40  # 1 item + 1 role of 5 conditions


def test_probes_failing_warning_missing_and_old():
    facts = PolicyFacts(
        probes=tuple(ProbeFact(pk, f"p{pk}") for pk in (1, 2, 3, 4, 5, 6)),
    )
    old = int(AT.timestamp()) - 30 * 3600
    evidence = (
        result(11, 1),
        result(12, 2, failing=True, summary="500"),
        result(13, 3, warned=True, summary="slow"),
        result(14, 4, recorded=old),
    )

    verdict = judge(inputs(evidence=evidence, policy=facts), AT)

    assert [b.as_dict() for b in verdict.blockers] == [
        {"type": "probe", "id": "12", "text": "probe 2: 500"},
        {"type": "evidence", "id": "not_run", "text": "p5 and p6: no evidence yet"},
        {
            "type": "evidence",
            "id": "stale",
            "text": "p4: evidence is 30 h old; run probes again",
        },
    ]
    assert [w.text for w in verdict.warnings] == ["probe 3: slow"]
    counts = (
        verdict.probes_total,
        verdict.probes_passing,
        verdict.probes_not_run,
        verdict.probes_stale,
        verdict.failing_probes,
    )
    assert counts == (6, 2, 2, 1, 1)


def test_more_than_three_missing_probes_are_counted():
    facts = PolicyFacts(probes=tuple(ProbeFact(pk, f"p{pk}") for pk in range(1, 6)))

    verdict = judge(inputs(policy=facts), AT)

    assert [b.text for b in verdict.blockers] == [
        "p1, p2, p3 and 2 more: no evidence yet"
    ]


def test_a_waived_probe_lets_its_missing_evidence_through():
    facts = PolicyFacts(
        probes=(ProbeFact(3, "db"),),
        waivers=(waiver("probe", "3", AT + timedelta(days=1)),),
    )

    verdict = judge(inputs(policy=facts), AT)

    assert verdict.ready is True
    assert [w.blocker.text for w in verdict.waived] == ["db: no evidence yet"]
    assert (verdict.probes_total, verdict.probes_passing) == (1, 1)


def test_evidence_of_a_deployed_release_ages_only_until_the_deployment():
    facts = PolicyFacts(probes=(ProbeFact(1, "web"),))
    evidence = (result(11, 1, recorded=int(AT.timestamp()) - 60),)
    deployed = inputs(open=False, deployed_at=AT, evidence=evidence, policy=facts)
    cancelled = inputs(open=False, deployed_at=None, evidence=evidence, policy=facts)

    a_week_later = AT + timedelta(days=7)

    assert judge(deployed, a_week_later).ready is True
    assert judge(cancelled, a_week_later).ready is True
    assert judge(inputs(evidence=evidence, policy=facts), a_week_later).ready is False


def test_the_evidence_max_age_comes_with_the_inputs():
    facts = PolicyFacts(probes=(ProbeFact(1, "web"),))
    evidence = (result(11, 1, recorded=int(AT.timestamp()) - 2 * 3600),)

    strict = judge(inputs(evidence=evidence, policy=facts, evidence_max_age=3600), AT)
    lenient = judge(inputs(evidence=evidence, policy=facts), AT)

    assert [b.text for b in strict.blockers] == [
        "web: evidence is 2 h old; run probes again"
    ]
    assert lenient.ready is True


def test_a_freeze_blocks_an_open_release_unless_two_approved_an_exception():
    start = AT - timedelta(hours=1)
    freeze = FreezeFact(
        id=4,
        name="Black Friday",
        reason="peak traffic",
        cron="",
        time_zone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=5),
        duration_minutes=None,
    )
    exception = ExceptionFact(
        id=8, reason="hotfix", expires_at=AT + timedelta(hours=2), approvers=("a", "b")
    )
    frozen = inputs(policy=PolicyFacts(freezes=(freeze,)))
    excepted = inputs(policy=PolicyFacts(freezes=(freeze,), exceptions=(exception,)))

    verdict = judge(frozen, AT)

    assert [b.as_dict() for b in verdict.blockers] == [
        {
            "type": "freeze",
            "id": "4",
            "text": "Freeze Black Friday until 2026-03-02T16:00:00+00:00: peak traffic",
        }
    ]
    assert verdict.score == 100
    assert judge(excepted, AT).ready is True
    assert judge(excepted, AT).freeze["exception"] == {
        "id": 8,
        "reason": "hotfix",
        "approved_by": ["a", "b"],
        "expires_at": "2026-03-02T14:00:00+00:00",
    }
    assert judge(inputs(open=False, policy=PolicyFacts(freezes=(freeze,))), AT).ready


def test_a_recurring_freeze_is_judged_at_the_moment_asked():
    nightly = FreezeFact(
        id=5,
        name="Nightly",
        reason="",
        cron="0 22 * * *",
        time_zone="UTC",
        starts_at=None,
        ends_at=None,
        duration_minutes=120,
    )
    frozen = inputs(policy=PolicyFacts(freezes=(nightly,)))

    assert judge(frozen, AT).ready is True
    assert [b.text for b in judge(frozen, AT.replace(hour=23)).blockers] == [
        "Freeze Nightly until 2026-03-03T00:00:00+00:00"
    ]


def test_with_item_replaces_one_item_and_keeps_the_rest():
    before = inputs(items=(item(1, "A"), item(2, "B")))

    after = before.with_item(item(2, "B", settled=True))

    assert [i.settled for i in after.items] == [False, True]
    assert [i.settled for i in before.items] == [False, False]
    assert judge(after, AT).score == 50


def test_blockers_that_said_no_are_marked_refused():
    roles = (RoleInput("qa", "QA"), RoleInput("sec", "SEC"))
    decisions = {"sec": DecisionInput("mallory", False, frozenset(), frozenset())}
    facts = PolicyFacts(probes=(ProbeFact(1, "p1"), ProbeFact(2, "p2")))
    items = (item(1, "Open"), item(2, "Blocked", blocked=True, note="down"))
    evidence = (result(12, 2, failing=True, summary="500"),)

    verdict = judge(
        inputs(
            items=items,
            roles=roles,
            decisions=decisions,
            evidence=evidence,
            policy=facts,
        ),
        AT,
    )

    assert [(b.type, b.id, b.refused) for b in verdict.blockers] == [
        ("item", "1", False),
        ("item", "2", True),
        ("signoff", "qa", False),
        ("signoff", "sec", True),
        ("probe", "12", True),
        ("evidence", "not_run", False),
    ]
