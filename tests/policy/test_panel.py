"""The release page explains the policy: freeze, warnings, waivers, verification."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.policy import services

pytestmark = pytest.mark.django_db


def test_the_release_page_shows_the_freeze_and_the_waiver(
    client, release, lead, second_lead
):
    item = release.items.filter(phase="pre_deployment", kind="check").first()
    waiver = services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Checked in staging",
        expires_at=timezone.now() + timedelta(hours=3),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)
    services.freeze_window_save(
        environment=release.environment,
        by=lead,
        name="Year-end freeze",
        reason="Finance close",
        cron="* * * * *",
        duration_minutes=5,
    )
    client.force_login(lead)

    text = client.get(release.get_absolute_url()).text

    assert 'id="policy"' in text
    assert "Freeze <strong>Year-end freeze</strong>" in text
    assert "Finance close" in text
    assert "Checked in staging" in text
    assert f"approved by {second_lead.username}" in text


def test_a_release_without_policy_says_so(client, release, engineer):
    client.force_login(engineer)
    text = client.get(release.get_absolute_url()).text
    assert "No waivers, freezes or verification windows." in text


def test_the_readiness_bar_lists_warnings_and_waived_blockers(
    client, release, lead, second_lead
):
    advisory, waived = release.items.filter(phase="pre_deployment", kind="check")[:2]
    type(advisory).objects.filter(pk=advisory.pk).update(severity="advisory")
    waiver = services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=waived.pk,
        reason="Verified by hand",
        expires_at=timezone.now() + timedelta(hours=3),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)
    client.force_login(lead)

    text = client.get(release.get_absolute_url()).text

    assert "1 warning (advisory, not blocking)" in text
    assert f"{advisory.text} (open)" in text
    assert "1 waived blocker" in text
    assert f"waived by {second_lead.username}" in text
    assert "“Verified by hand”" in text
