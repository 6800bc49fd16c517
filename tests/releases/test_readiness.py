"""compute_readiness: the score and the list of blockers."""

from apps.readiness.readiness import compute_readiness
from apps.releases import services
from apps.signoffs import services as signoffs
from tests import factories
from tests.releases.test_lifecycle import make_ready


def test_new_release_is_not_ready_and_lists_every_blocker(release):
    readiness = compute_readiness(release)
    gating = [i for i in release.items.all() if i.gates_readiness]
    assert readiness.ready is False
    assert readiness.score == 0
    assert len(gating) == 51  # 54 pre-deployment items less 3 conditional ones
    assert readiness.items_total == 51
    assert readiness.missing_signoffs == 6
    types = [b.type for b in readiness.blockers]
    assert types.count("item") == 51
    assert types.count("signoff") == 6


def test_ticking_raises_the_score(release, engineer):
    items = [i for i in release.items.all() if i.gates_readiness]
    for item in items[:19]:
        services.release_item_set_state(item=item, state="done", by=engineer)
    readiness = compute_readiness(release)
    assert readiness.items_settled == 19
    assert readiness.score == (19 * 100) // (51 + 6)


def test_not_applicable_counts_as_settled_but_blocked_does_not(release, engineer):
    first, second = [i for i in release.items.all() if i.gates_readiness][:2]
    services.release_item_set_state(
        item=first, state="na", note="No uploads", by=engineer
    )
    services.release_item_set_state(
        item=second, state="blocked", note="Waiting on infra", by=engineer
    )
    readiness = compute_readiness(release)
    assert readiness.items_settled == 1
    texts = [b.text for b in readiness.blockers if b.id == str(second.pk)]
    assert texts == [f"{second.text} (blocked: Waiting on infra)"]


def test_post_deployment_and_optional_items_do_not_gate(release, team, lead):
    people = [lead, *(factories.member(team, "engineer") for _ in range(5))]
    make_ready(release, people)
    readiness = compute_readiness(release)
    assert readiness.ready is True
    assert readiness.score == 100
    assert release.items.filter(phase="post_deployment", state="open").count() == 34


def test_a_rejection_blocks(release, team, lead):
    people = [lead, *(factories.member(team, "engineer") for _ in range(5))]
    make_ready(release, people)
    signoffs.signoff_record(
        release=release,
        role_key="security_review",
        decision="reject",
        comment="Open CVE in the image",
        by=people[1],
    )
    readiness = compute_readiness(release)
    assert readiness.ready is False
    assert [b.as_dict() for b in readiness.blockers] == [
        {
            "type": "signoff",
            "id": "security_review",
            "text": f"Security review: rejected by {people[1].username}",
        }
    ]
