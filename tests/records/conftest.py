"""A release taken through its whole lifecycle, with probe evidence, for records."""

import pytest

from apps.releases import services as releases
from apps.releases.models import Release
from apps.signoffs import services as signoffs
from tests import factories


@pytest.fixture
def deployed_release(release, lead, engineer, second_engineer) -> Release:
    """Items settled (one note looks like a formula), sign-offs, a probe run."""
    for item in release.items.order_by("position"):
        if not item.gates_readiness:
            continue
        if item.position == 0:
            releases.release_item_set_state(
                item=item, state="na", note='=HYPERLINK("http://x")', by=engineer
            )
        else:
            releases.release_item_set_state(item=item, state="done", by=engineer)
    release.allow_shared_signoffs = True
    release.save(update_fields=["allow_shared_signoffs"])
    roles = [role["key"] for role in release.signoff_roles]
    signoffs.signoff_record(
        release=release,
        role_key=roles[0],
        decision="reject",
        comment="Runbook missing the rollback step",
        by=second_engineer,
    )
    for key in roles:
        signoffs.signoff_record(
            release=release,
            role_key=key,
            decision="approve",
            comment="Reviewed" if key == roles[0] else "",
            by=engineer,
        )
    factories.probe_evidence(release, engineer, status="pass")
    release = releases.release_transition(release=release, target="ready", by=lead)
    return releases.release_transition(
        release=release,
        target="deployed",
        by=lead,
        notes="Deployed in the 14:00 window",
    )
