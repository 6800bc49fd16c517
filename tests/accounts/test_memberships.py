"""Memberships: role changes are audited; only admins manage them."""

import pytest
from django.core.exceptions import PermissionDenied

from apps.accounts import permissions, services
from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from tests import factories


def test_role_change_is_audited(team, engineer):
    admin = factories.member(team, "admin")
    services.membership_set(team=team, user=engineer, role="lead", by=admin)
    event = AuditEvent.objects.get(action="membership.changed")
    assert event.before == {"role": "engineer"}
    assert event.after == {"user": engineer.username, "role": "lead"}
    assert Membership.objects.get(user=engineer).role == "lead"


def test_lead_cannot_change_roles(team, lead, engineer):
    with pytest.raises(PermissionDenied):
        services.membership_set(team=team, user=engineer, role="admin", by=lead)
    assert Membership.objects.get(user=engineer).role == "engineer"


def test_removal_is_audited(team, engineer):
    admin = factories.member(team, "admin")
    services.membership_remove(
        membership=Membership.objects.get(user=engineer), by=admin
    )
    assert AuditEvent.objects.get(action="membership.removed").before == {
        "user": engineer.username,
        "role": "engineer",
        "source": "local",
    }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("auditor", {"view", "view_audit"}),
        ("engineer", {"view", "tick", "signoff", "run_probes", "record_incident"}),
    ],
)
def test_role_table(team, role, allowed):
    user = factories.member(team, role)
    granted = {a for a in permissions.ACTIONS if permissions.can(user, a, team)}
    assert granted == allowed


def test_no_role_in_another_team(team, outsider):
    assert not permissions.can(outsider, "view", team)
