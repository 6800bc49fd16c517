"""A lead decides an inconclusive verification window with the keyboard alone."""

import pytest

from apps.releases import services as release_services
from tests import factories
from tests.browser import ARTIFACTS, screenshot

pytestmark = pytest.mark.e2e


def screenshot_path(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_a_lead_decides_an_inconclusive_window_from_the_keyboard(
    open_page, lead, release
):
    from playwright.sync_api import expect

    release = release_services.release_transition(
        release=release, target="deployed", by=lead, override=True, reason="e2e"
    )
    window = factories.VerificationWindowFactory(
        release=release, summary="Inconclusive: 1 in a row at the end, 3 needed."
    )
    page = open_page(lead)
    page.goto(release.get_absolute_url())
    page.evaluate("window.shipshapeMarker = 'same page'")
    page.locator("#policy").screenshot(path=str(screenshot_path("verification-form")))

    page.get_by_role("radio", name="Passed").focus()
    page.keyboard.press("ArrowRight")  # the radio group moves to "Failed"
    page.keyboard.press("Tab")
    page.keyboard.type("Latency stayed over budget after the deploy")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    panel = page.locator("#policy")
    expect(panel).to_contain_text("decided: failed")
    expect(panel).to_contain_text("Latency stayed over budget after the deploy")
    expect(panel.get_by_role("radio")).to_have_count(0)
    assert page.evaluate("window.shipshapeMarker") == "same page"
    window.refresh_from_db()
    assert (window.outcome, window.decided_by) == ("failed", lead)
    screenshot(page, "verification-window-decided")
