"""The deployment record in a real browser: readable on screen, clean on paper."""

import pytest

from tests.browser import screenshot

pytestmark = pytest.mark.e2e


def test_the_printed_record_drops_navigation_and_keeps_the_facts(
    open_page,
    auditor,
    deployed_release,
):
    from playwright.sync_api import expect

    page = open_page(auditor)
    page.goto(f"/records/releases/{deployed_release.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1.0.0")
    expect(page.get_by_role("link", name="Download JSON")).to_be_visible()
    screenshot(page, "deployment-record-screen")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Download JSON")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#record-verification")).to_contain_text("Last audit event")
    expect(page.locator("#record-probes")).to_contain_text("200 OK in 12 ms")
    screenshot(page, "deployment-record-print")
    assert page.pdf(format="A4")[:4] == b"%PDF"
