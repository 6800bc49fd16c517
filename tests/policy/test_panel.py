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
