"""Who may sign a role: team roles, named members, sign-off groups; the release's
creator; refusals come before the confirmation step, on the page and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.accounts import services as accounts
from apps.audit.models import AuditEvent
from apps.checklists import services as checklists
from apps.signoffs import services
from apps.signoffs.models import SignOff
from tests import factories
from tests.api.conftest import client_for

__all__ = ["client_for"]  # the API suite's fixture: a client with a real token
HTMX = {"HTTP_HX_REQUEST": "true"}
SECURITY_ONLY = "Only Security reviewers (group) may sign as Security review."


def _url(release) -> str:
    return reverse("signoffs:record", args=[release.pk])


@pytest.fixture
def security(team, second_engineer):
    """Security review may be signed only by the group Security reviewers, whose
    one member is second_engineer."""
    group = accounts.signoff_group_create(team=team, name="Security reviewers", by=None)
    accounts.signoff_group_member_add(group=group, user=second_engineer, by=None)
    checklists.signoff_eligibility_set(
        team=team,
        role_key="security_review",
        team_roles=[],
        users=[],
        groups=[group],
        by=None,
    )
    return group


def _nothing_recorded() -> None:
    assert not SignOff.objects.exists()
    assert not AuditEvent.objects.filter(action="signoff.recorded").exists()


def test_an_engineer_not_eligible_is_refused_before_confirming_and_nothing_is_written(
    client, engineer, release, security
):
    client.force_login(engineer)
    first = client.post(
        _url(release), {"role_key": "security_review", "decision": "approve"}, **HTMX
    )
    forced = client.post(
        _url(release),
        {"role_key": "security_review", "decision": "approve", "confirm": "on"},
        **HTMX,
    )

    assert first.status_code == 200
    assert SECURITY_ONLY in first.text
    assert "Confirm approval" not in first.text
    assert forced.status_code == 200
    assert SECURITY_ONLY in forced.text
    _nothing_recorded()


def test_an_engineer_not_eligible_is_refused_by_the_api_and_nothing_is_written(
    client_for, engineer, release, security
):
    response = client_for(engineer).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": "security_review", "decision": "approve"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {"detail": SECURITY_ONLY}
    _nothing_recorded()


def test_a_member_of_the_group_may_sign(client, second_engineer, release, security):
    client.force_login(second_engineer)
    response = client.post(
        _url(release),
        {"role_key": "security_review", "decision": "approve", "confirm": "on"},
        **HTMX,
    )

    assert "You approved as Security review." in response.text
    signoff = SignOff.objects.get()
    assert (signoff.user, signoff.role_key) == (second_engineer, "security_review")


def test_the_panel_offers_only_the_roles_the_viewer_may_sign(
    client, engineer, second_engineer, release, security
):
    client.force_login(engineer)
    page = client.get(release.get_absolute_url()).text
    client.force_login(second_engineer)
    member_page = client.get(release.get_absolute_url()).text

    assert (
        f'<option value="security_review" disabled>Security review — {SECURITY_ONLY}'
        in page
    )
    assert "Signed by Security reviewers (group)." in page
    assert '<option value="security_review" disabled' not in member_page


def test_a_role_with_no_one_configured_accepts_any_lead_or_engineer(
    client, lead, engineer, release
):
    client.force_login(engineer)
    page = client.get(release.get_absolute_url()).text

    assert "Open: anyone on the team may sign this role." in page
    assert page.count("anyone on the team may sign this role") == 6
    services.signoff_record(
        release=release, role_key="operations", decision="approve", by=engineer
    )
    services.signoff_record(
        release=release, role_key="product_owner", decision="approve", by=lead
    )
    assert SignOff.objects.count() == 2


def test_a_role_for_leads_refuses_engineers_and_accepts_leads(
    team, lead, engineer, release
):
    checklists.signoff_eligibility_set(
        team=team,
        role_key="technical_lead",
        team_roles=["lead"],
        users=[],
        groups=[],
        by=lead,
    )

    with pytest.raises(PermissionDenied, match="Only leads may sign as Technical Lead"):
        services.signoff_record(
            release=release, role_key="technical_lead", decision="approve", by=engineer
        )
    services.signoff_record(
        release=release, role_key="technical_lead", decision="approve", by=lead
    )
    assert list(SignOff.objects.values_list("user", flat=True)) == [lead.pk]


def test_a_named_member_may_sign_and_the_rule_applies_to_open_releases(
    team, lead, engineer, second_engineer, release
):
    """Eligibility is the team's, read at sign time: a rule set after the release
    opened applies to it."""
    checklists.signoff_eligibility_set(
        team=team,
        role_key="product_owner",
        team_roles=[],
        users=[second_engineer],
        groups=[],
        by=lead,
    )

    with pytest.raises(PermissionDenied, match=f"Only {second_engineer.username} may"):
        services.signoff_record(
            release=release, role_key="product_owner", decision="approve", by=engineer
        )
    services.signoff_record(
        release=release,
        role_key="product_owner",
        decision="approve",
        by=second_engineer,
    )
    event = AuditEvent.objects.get(action="signoff_eligibility.changed")
    assert (event.team_id, event.actor) == (team.pk, lead)
    assert event.after == {
        "role": "product_owner",
        "anyone": False,
        "users": [second_engineer.username],
    }


@pytest.fixture
def no_self_approval(template):
    checklists.template_change(
        template=template, by=None, options={"allow_creator_approval": False}
    )
    template.refresh_from_db()
    return template


def test_the_creator_may_not_approve_when_the_template_says_so(
    client, client_for, lead, release, no_self_approval
):
    client.force_login(lead)
    page = client.post(
        _url(release), {"role_key": "operations", "decision": "approve"}, **HTMX
    )
    api = client_for(lead).post(
        "/api/v1/signoffs/",
        {"release": release.pk, "role_key": "operations", "decision": "approve"},
        format="json",
    )

    message = "You created this release; another person must approve it."
    assert message in page.text
    assert "Confirm approval" not in page.text
    assert api.status_code == 400
    assert api.json() == {"non_field_errors": [message]}
    _nothing_recorded()
    # Rejecting stays open to the creator, and another lead may approve.
    services.signoff_record(
        release=release,
        role_key="operations",
        decision="reject",
        comment="Runbook missing",
        by=lead,
    )
    other = factories.member(release.team, "lead")
    services.signoff_record(
        release=release, role_key="operations", decision="approve", by=other
    )
    assert SignOff.objects.count() == 2


def test_the_creator_may_approve_by_default(lead, release):
    services.signoff_record(
        release=release, role_key="operations", decision="approve", by=lead
    )
    assert SignOff.objects.get().user == lead


def test_a_lead_cannot_ask_someone_who_may_not_sign_the_role(
    client, lead, engineer, release, security
):
    client.force_login(lead)
    response = client.post(
        reverse("signoffs:request", args=[release.pk]),
        {"role_key": "security_review", "person": engineer.pk},
        **HTMX,
    )

    assert SECURITY_ONLY in response.text
    assert not AuditEvent.objects.filter(action="signoff.requested").exists()


def test_the_cached_release_page_follows_who_may_sign(
    client, settings, lead, engineer, second_engineer, release
):
    settings.FRAGMENT_CACHE_SECONDS = 300
    client.force_login(engineer)
    before = client.get(release.get_absolute_url()).text
    client.force_login(second_engineer)
    client.get(release.get_absolute_url())
    checklists.signoff_eligibility_set(
        team=release.team,
        role_key="support",
        team_roles=[],
        users=[second_engineer],
        groups=[],
        by=lead,
    )
    client.force_login(engineer)
    after = client.get(release.get_absolute_url()).text
    client.force_login(second_engineer)
    theirs = client.get(release.get_absolute_url()).text

    assert '<option value="support" disabled' not in before
    assert '<option value="support" disabled' in after
    assert '<option value="support" disabled' not in theirs


def test_an_auditor_cannot_be_named_as_a_signer(team, lead, auditor, template):
    with pytest.raises(ValidationError, match="who may sign off"):
        checklists.signoff_eligibility_set(
            team=team,
            role_key="support",
            team_roles=[],
            users=[auditor],
            groups=[],
            by=lead,
        )
    with pytest.raises(ValidationError, match="auditors never sign"):
        checklists.signoff_eligibility_set(
            team=team,
            role_key="support",
            team_roles=["auditor"],
            users=[],
            groups=[],
            by=lead,
        )
    assert not AuditEvent.objects.filter(action="signoff_eligibility.changed").exists()
