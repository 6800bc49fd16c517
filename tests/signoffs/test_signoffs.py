"""Sign-off rules: roles, superseding, one role per person, comments."""

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.signoffs import selectors, services
from apps.signoffs.models import SignOff


def test_approval_is_recorded_and_audited(release, engineer):
    signoff = services.signoff_record(
        release=release,
        role_key="operations",
        decision="approve",
        comment="Runbook reviewed",
        by=engineer,
    )
    current = selectors.current_decisions(release)
    assert current["operations"].user == engineer
    event = AuditEvent.objects.get(action="signoff.recorded")
    assert event.after == {
        "role": "operations",
        "decision": "approve",
        "comment": "Runbook reviewed",
        "by": engineer.username,
        "evidence_digest": signoff.evidence_digest,
    }
    assert len(signoff.evidence_digest) == 64


def test_a_new_decision_supersedes_and_keeps_history(
    release, engineer, second_engineer
):
    services.signoff_record(
        release=release, role_key="support", decision="approve", by=engineer
    )
    services.signoff_record(
        release=release,
        role_key="support",
        decision="reject",
        comment="Support not trained yet",
        by=second_engineer,
    )
    assert selectors.current_decisions(release)["support"].decision == "reject"
    assert SignOff.objects.filter(release=release).count() == 2


def test_one_person_cannot_approve_two_roles(release, engineer):
    services.signoff_record(
        release=release, role_key="support", decision="approve", by=engineer
    )
    with pytest.raises(ValidationError, match="another person must approve"):
        services.signoff_record(
            release=release, role_key="operations", decision="approve", by=engineer
        )
    assert SignOff.objects.count() == 1


def test_template_may_allow_shared_signoffs(release, engineer):
    release.allow_shared_signoffs = True
    release.save()
    services.signoff_record(
        release=release, role_key="support", decision="approve", by=engineer
    )
    services.signoff_record(
        release=release, role_key="operations", decision="approve", by=engineer
    )
    assert SignOff.objects.count() == 2


def test_rejection_needs_a_comment(release, engineer):
    with pytest.raises(ValidationError, match="Say why you reject"):
        services.signoff_record(
            release=release, role_key="support", decision="reject", by=engineer
        )


def test_unknown_role_is_refused(release, engineer):
    with pytest.raises(ValidationError, match="no such sign-off role"):
        services.signoff_record(
            release=release, role_key="ceo", decision="approve", by=engineer
        )
