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


def test_a_freeze_made_after_the_page_was_seen_shows_at_once(client, release, lead):
    """The release page is cached by revision; a freeze window of its
    environment counts as a change of its open releases, so the next view shows
    it rather than the body cached a moment before."""
    client.force_login(lead)
    url = release.get_absolute_url()
    before = client.get(url)
    assert "Freeze <strong>Change freeze</strong>" not in before.text
    etag = before.headers["ETag"]

    now = timezone.now()
    window = services.freeze_window_save(
        environment=release.environment,
        by=lead,
        name="Change freeze",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
    )
    # The readiness bar inside the cached body changes too, so a browser's
    # conditional GET gets the page again rather than a 304.
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 200
    assert "Freeze <strong>Change freeze</strong>" in again.text

    services.freeze_window_delete(window=window, by=lead)
    assert "Freeze <strong>Change freeze</strong>" not in (
        client.get(release.get_absolute_url()).text
    )


def test_a_probe_changed_after_the_page_was_seen_is_not_answered_304(
    client, release, lead
):
    """Which probes are enabled decides which results count; a browser's
    conditional GET after a probe configuration changed gets the page again."""
    from apps.probes import services as probe_services

    client.force_login(lead)
    url = release.get_absolute_url()
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304

    probe_services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Status endpoint answers",
        kind="http",
        target="https://127.0.0.1:9/status",
    )

    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag


def test_a_waiver_approved_elsewhere_moves_the_readiness_bar_at_the_next_poll(
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
    client.force_login(lead)
    page = client.get(release.get_absolute_url()).text
    release.refresh_from_db()
    poll = f"/policy/releases/{release.pk}/policy/?seen={release.revision}"
    assert f'hx-get="{poll}"' in page.replace("&amp;", "&")
    htmx = {"HTTP_HX_REQUEST": "true"}

    unchanged = client.get(poll, **htmx).text
    assert 'id="readiness-bar"' not in unchanged  # nothing moved: the panel alone

    services.waiver_approve(waiver=waiver, by=second_lead)  # another lead, elsewhere
    moved = client.get(poll, **htmx).text

    assert "approved by" in moved
    bar = moved[moved.index('id="readiness-bar"') :]
    assert (
        'hx-swap-oob="true"'
        in moved[moved.index('<section id="readiness-bar"') :][:300]
    )
    assert "1 waived blocker" in bar
    assert "hx-trigger" not in moved  # nothing waits any more: polling stops
