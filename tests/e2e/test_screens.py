"""The release page on every screen and what is deployed where, in a real browser.

Driven by accessible names and roles only, at 1366×900 and 390×844; every page
is saved to test-artifacts/ at both widths.
"""

import re

import pytest

from apps.releases import services
from apps.releases.models import Release
from tests import factories
from tests.browser import ARTIFACTS, SCREENS, screenshot
from tests.browser import open_on as _open
from tests.browser import sideways as _sideways

pytestmark = pytest.mark.e2e

VERSION_64 = "2026.12.04-rc.1+build.7f3c9e2a1b5d8c4e6f0a9b3d2c1e5f7a8b9c0d1e2f"


@pytest.fixture
def long_release(environment, template, lead, engineer) -> Release:
    """A deployed release with a 64-character version, one in progress, an
    override in production and a second service with a waiver."""
    release = factories.release_open(environment, template, lead, VERSION_64)
    factories.deployed(release, lead, hours_ago=2)
    factories.release_open(environment, template, lead, "2026.12.05")
    production = factories.EnvironmentFactory(
        service=environment.service, name="production"
    )
    factories.deployed(
        factories.release_open(production, template, lead, "2026.11.30"),
        lead,
        hours_ago=30,
        override="Checkout outage hotfix; backups verified by hand",
    )
    other = factories.EnvironmentFactory(
        service=factories.ServiceFactory(
            team=environment.service.team, name="Payments API"
        ),
        name="staging",
    )
    waived = factories.release_open(other, template, lead, "1.8.2")
    factories.deployed(waived, lead, hours_ago=5)
    factories.waiver_approved(
        waived,
        label="TLS certificate expiry",
        requested_by=engineer,
        approved_by=lead,
        approved_hours_ago=6,
    )
    release.refresh_from_db()
    return release


def test_on_a_phone_the_summary_strip_jumps_to_the_signoffs(
    open_page, engineer, release
):
    from playwright.sync_api import expect

    page = _open(open_page, engineer, "phone")
    page.goto(release.get_absolute_url())
    signoffs = page.get_by_role("heading", name=re.compile(r"^Sign-offs"))
    expect(signoffs).not_to_be_in_viewport()

    strip = page.get_by_role("navigation", name="Release summary")
    strip.get_by_role("link", name=re.compile("sign-offs approved")).click()

    expect(signoffs).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / "release-jumped-to-signoffs-phone.png"))


@pytest.mark.parametrize("screen", SCREENS)
def test_skip_links_appear_on_focus_and_lead_to_the_panels(
    open_page, engineer, release, screen
):
    from playwright.sync_api import expect

    page = _open(open_page, engineer, screen)
    page.goto(release.get_absolute_url())
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to probes")
    expect(skip).not_to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "a focused skip link is on screen"
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Run probes")).to_be_focused()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_64_character_version_never_scrolls_the_page_sideways(
    open_page, lead, auditor, long_release, screen
):
    from playwright.sync_api import expect

    page = _open(open_page, lead, screen)
    page.goto(long_release.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(VERSION_64)
    screenshot(page, f"release-long-version-{screen}")
    page.screenshot(path=str(ARTIFACTS / f"release-top-{screen}.png"))
    assert _sideways(page) <= 0, "release page"

    page.get_by_role("link", name=long_release.service.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(long_release.service.name)
    expect(page.get_by_role("link", name=VERSION_64).first).to_be_visible()
    screenshot(page, f"service-{screen}")
    assert _sideways(page) <= 0, "service page"

    page.get_by_role("link", name="Deployed where").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What's deployed where")
    expect(
        page.get_by_role("cell", name=re.compile("Override of 1 blocker"))
    ).to_be_visible()
    cell = page.get_by_role("link", name=re.compile(re.escape(VERSION_64)))
    expect(cell).to_have_attribute("title", VERSION_64)
    screenshot(page, f"deployments-{screen}")
    assert _sideways(page) <= 0, "overview"

    page.get_by_role("link", name="Releases", exact=True).first.click()
    screenshot(page, f"dashboard-long-version-{screen}")
    assert _sideways(page) <= 0, "dashboard"

    record = _open(open_page, auditor, screen)
    record.goto(f"/records/releases/{long_release.pk}/")
    expect(record.get_by_role("heading", level=1)).to_contain_text(VERSION_64)
    screenshot(record, f"record-{screen}")
    record.get_by_role(
        "heading", name=re.compile("^Checklist")
    ).scroll_into_view_if_needed()
    record.screenshot(path=str(ARTIFACTS / f"record-checklist-{screen}.png"))
    assert _sideways(record) <= 0, "deployment record"


@pytest.mark.parametrize("screen", SCREENS)
def test_a_failed_submit_focuses_the_first_error(open_page, lead, release, screen):
    from playwright.sync_api import expect

    page = _open(open_page, lead, screen)
    page.goto("/releases/new/")
    page.get_by_role("button", name="Open release").click()

    expect(page.get_by_label("Service")).to_be_focused()
    expect(page.get_by_label("Service")).to_have_attribute("aria-invalid", "true")
    screenshot(page, f"new-release-error-{screen}")

    page.goto(release.get_absolute_url())
    item = release.items.order_by("position").first()
    page.get_by_role("button", name=f"N/A or blocked… {item.text}").click()
    note = page.get_by_role("textbox", name="Why? (required)")
    expect(note).to_be_visible()
    page.get_by_role("button", name="Save").click()

    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / f"release-note-error-{screen}.png"))


def test_show_open_items_only_hides_settled_items(open_page, engineer, release):
    from playwright.sync_api import expect

    first, second = release.items.order_by("position")[:2]
    services.release_item_set_state(item=first, state="done", by=engineer)
    page = _open(open_page, engineer, "phone")
    page.goto(release.get_absolute_url())
    expect(page.get_by_role("checkbox", name=first.text, exact=True)).to_be_visible()

    page.get_by_role("link", name="Show open items only").click()

    expect(page.get_by_role("checkbox", name=first.text, exact=True)).to_be_hidden()
    expect(page.get_by_role("checkbox", name=second.text, exact=True)).to_be_visible()
    assert "?open" in page.url
    page.get_by_role("link", name="Show all items").click()
    expect(page.get_by_role("checkbox", name=first.text, exact=True)).to_be_visible()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_rejection_turns_the_readiness_bar_to_blocked_in_place(
    open_page, engineer, release, screen
):
    from playwright.sync_api import expect

    page = _open(open_page, engineer, screen)
    page.goto(release.get_absolute_url())
    bar = page.get_by_role("region", name=re.compile("ready$"))
    expect(bar).to_contain_text("Not ready")

    page.get_by_label("Role").select_option(label="Security review")
    page.get_by_label("Comment").fill("The WAF rules are not reviewed yet")
    page.get_by_role("button", name="Reject", exact=True).click()
    page.get_by_role("button", name="Confirm rejection").click()

    expect(bar).to_contain_text("Blocked by a rejected sign-off.")
    expect(bar).to_contain_text("Blocked: 57 blockers")
    bar.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"release-blocked-{screen}.png"))
