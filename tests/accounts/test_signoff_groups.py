"""Sign-off groups: kept by a team's admins, members who may sign off, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts import services
from apps.accounts.models import Membership, SignOffGroup, SignOffGroupMember
from apps.audit.models import AuditEvent
from tests import factories


@pytest.fixture
def admin(team):
    return factories.member(team, "admin")


def test_an_admin_creates_a_group_and_adds_members(team, admin, engineer, lead):
    group = services.signoff_group_create(team=team, name=" Security ", by=admin)
    services.signoff_group_member_add(group=group, user=engineer, by=admin)
    services.signoff_group_member_add(
        group=group, user=lead, by=None, source=SignOffGroupMember.Source.EXTERNAL
    )

    assert group.name == "Security"
    assert sorted(group.members.values_list("user__username", "source")) == sorted(
        [(engineer.username, "local"), (lead.username, "external")]
    )
    events = AuditEvent.objects.filter(team_id=team.pk).order_by("seq")
    assert [(e.action, e.after) for e in events] == [
        ("signoff_group.created", {"name": "Security"}),
        (
            "signoff_group.member_added",
            {"user": engineer.username, "source": "local"},
        ),
        ("signoff_group.member_added", {"user": lead.username, "source": "external"}),
    ]


def test_a_name_is_used_once_per_team(team, admin):
    services.signoff_group_create(team=team, name="Security", by=admin)
    with pytest.raises(ValidationError, match="already has a group named"):
        services.signoff_group_create(team=team, name="security", by=admin)
    assert SignOffGroup.objects.count() == 1


def test_auditors_and_outsiders_never_join(team, admin, auditor, outsider):
    group = services.signoff_group_create(team=team, name="Security", by=admin)
    for user in (auditor, outsider):
        with pytest.raises(ValidationError, match="who may sign off"):
            services.signoff_group_member_add(group=group, user=user, by=admin)
    assert not group.members.exists()


def test_leads_and_engineers_do_not_keep_groups(team, lead, engineer):
    for user in (lead, engineer):
        with pytest.raises(PermissionDenied):
            services.signoff_group_create(team=team, name="Mine", by=user)
    assert not SignOffGroup.objects.exists()


def test_leaving_the_team_leaves_its_groups(team, admin, engineer):
    group = services.signoff_group_create(team=team, name="Security", by=admin)
    services.signoff_group_member_add(group=group, user=engineer, by=admin)

    services.membership_remove(
        membership=Membership.objects.get(team=team, user=engineer), by=admin
    )

    assert not group.members.exists()
    assert AuditEvent.objects.get(action="membership.removed").before == {
        "user": engineer.username,
        "role": "engineer",
        "source": "local",
        "signoff_groups": ["Security"],
    }
