"""The deployment record files the policy: the verdict, waivers and verification."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.policy import services
from apps.records import selectors as record_selectors
from tests.policy.conftest import ready_but_one

pytestmark = pytest.mark.django_db


def test_the_record_lists_the_waived_blocker_with_its_approver(
    release, lead, second_lead
):
    item = ready_but_one(release, lead)
    waiver = services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Verified manually by QA",
        expires_at=timezone.now() + timedelta(hours=1),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)

    policy = record_selectors.deployment_record_build(release, by=lead)["policy"]

    assert policy["verdict"]["ready"] is True
    assert [w["id"] for w in policy["verdict"]["waivers"]] == [str(item.pk)]
    assert policy["waivers"] == [
        {
            "blocker": f"item:{item.pk}",
            "label": item.text,
            "reason": "Verified manually by QA",
            "requested_by": lead.username,
            "approved_by": second_lead.username,
            "expires_at": waiver.expires_at.isoformat(),
            "state": "active",
        }
    ]
    assert policy["verification_windows"] == []


def test_the_printable_record_explains_the_verdict_and_the_waiver(
    client, release, lead, second_lead
):
    item = ready_but_one(release, lead)
    waiver = services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Verified manually by QA",
        expires_at=timezone.now() + timedelta(hours=1),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)
    client.force_login(lead)

    text = client.get(f"/records/releases/{release.pk}/").text

    assert "Readiness verdict and policy" in text
    assert "<strong>Ready</strong>" in text
    assert f"approved by {second_lead.username}" in text
    assert "“Verified manually by QA”" in text
