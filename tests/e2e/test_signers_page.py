"""The team's "Who may sign" page in a real browser, driven by the keyboard."""

import pytest

from apps.checklists.models import SignOffEligibility
from tests.browser import screenshot

pytestmark = pytest.mark.e2e


def test_a_lead_limits_a_role_to_leads_with_the_keyboard_only(
    open_page, lead, engineer, release
):
    from playwright.sync_api import expect

    page = open_page(lead)
    page.goto(release.get_absolute_url())
    page.get_by_role("link", name="Who may sign each role").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who may sign")
    page.evaluate("window.shipshapeMarker = 'same page'")
    summary = page.get_by_text("Choose who may sign Security review", exact=True)
    summary.focus()
    page.keyboard.press("Enter")
    form = page.locator("#signers-security_review form")
    form.get_by_role("checkbox", name="Leads").focus()
    page.keyboard.press("Space")
    form.get_by_role("button", name="Save who signs Security review").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#signers-security_review")).to_contain_text("Signed by leads.")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    # Focus lands on the message, so the keyboard user hears what happened.
    assert page.evaluate("document.activeElement.getAttribute('role')") == "status"
    assert page.evaluate("window.shipshapeMarker") == "same page"
    rule = SignOffEligibility.objects.get(role_key="security_review")
    assert rule.team_roles == ["lead"]
    screenshot(page, "signers-page")

    other = open_page(engineer)
    other.goto(release.get_absolute_url())
    option = other.locator('#signoff-role option[value="security_review"]')
    expect(option).to_be_disabled()
    expect(option).to_contain_text("Only leads may sign as Security review.")
