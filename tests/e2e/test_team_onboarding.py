"""A team starts in the browser alone, and an auditor reads what it did.

Driven by accessible names and roles only, at 1366×900 and 390×844; each page
is saved to test-artifacts/ at both widths.
"""

import pytest
from playwright.sync_api import expect

from apps.releases import services as releases
from tests import factories
from tests.browser import SCREENS, open_on, screenshot, sideways

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("screen", SCREENS)
def test_an_auditor_reaches_the_audit_log_in_two_clicks(
    open_page, screen, auditor, release, team
):
    lena = factories.member(team, "lead", first_name="Lena", last_name="Lead")
    item = release.items.filter(kind="check").order_by("position").first()
    releases.release_item_set_state(item=item, state="done", by=lena)
    page = open_on(open_page, auditor, screen)
    page.goto("/")
    # 1: the account menu (a disclosure: its summary holds the name)
    page.get_by_text(", account").locator("xpath=..").click()
    page.get_by_role("link", name="Audit log").click()  # 2: the page
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    events = page.get_by_role("list", name="Events, newest first")
    expect(events).to_contain_text(
        f"Lena Lead ticked {item.text} on {release.service.name} 1.0.0 → staging"
    )
    page.get_by_label("Who").fill("lena")
    page.get_by_role("button", name="Filter").click()
    expect(events.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("link", name="Export CSV of these events")).to_be_visible()
    assert sideways(page) <= 0
    screenshot(page, f"audit-log-{screen}")
