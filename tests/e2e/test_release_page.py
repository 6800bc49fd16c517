"""A lead, an engineer and an auditor on the release page, in a real browser."""

import pytest

from apps.releases.models import Release
from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.e2e


def _score(page) -> int:
    return int(page.locator("#readiness-bar .score").inner_text().rstrip("%"))


def test_lead_creates_a_release_and_ticking_raises_readiness_without_reload(
    open_page, lead, environment, template
):
    from playwright.sync_api import expect

    page = open_page(lead)
    page.goto("/")
    page.get_by_role("link", name="New release").first.click()
    page.get_by_label("Service").select_option(label=environment.service.name)
    page.get_by_label("Environment").select_option(label=str(environment))
    page.get_by_label("Version").fill("9.9.9")
    page.get_by_role("button", name="Open release").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("9.9.9")
    release = Release.objects.get(version="9.9.9")
    texts = list(
        release.items.filter(phase="pre_deployment", kind="check", required=True)
        .order_by("position")
        .values_list("text", flat=True)[:3]
    )
    page.evaluate("window.shipshapeMarker = 'same page'")
    before = _score(page)
    for text in texts:
        page.get_by_role("checkbox", name=text, exact=True).check()
        row = page.locator("li.is-done").filter(
            has=page.get_by_role("checkbox", name=text, exact=True)
        )
        expect(row).to_contain_text(f"Done by {lead.username}")
    expect(page.locator("#readiness-bar .score")).not_to_have_text(f"{before}%")
    assert _score(page) > before
    expect(page.locator("#announcer")).to_contain_text("Readiness now")
    assert page.evaluate("window.shipshapeMarker") == "same page"
    assert release.items.filter(state="done").count() == 3
    screenshot(page, "release-page-after-ticking")


def test_engineer_approves_a_signoff(open_page, engineer, release):
    from playwright.sync_api import expect

    page = open_page(engineer)
    page.goto(release.get_absolute_url())
    page.get_by_label("Role").select_option(label="Operations")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("button", name="Confirm approval").click()
    expect(page.locator("#signoffs")).to_contain_text("You approved as Operations.")
    expect(page.locator("#signoff-operations")).to_contain_text("Approved")
    assert release.signoffs.get().user == engineer
    screenshot(page, "signoff-approved")


def test_auditor_sees_no_controls(open_page, auditor, release):
    page = open_page(auditor)
    page.goto(release.get_absolute_url())
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith(release.service.name)
    )
    assert page.get_by_role("checkbox").count() == 0
    for name in ("Approve", "Reject", "Run probes", "Mark ready anyway…"):
        assert page.get_by_role("button", name=name).count() == 0
    assert page.locator("[hx-post]").count() == 0
    screenshot(page, "release-page-auditor")


def test_wrong_password_shows_a_clear_error(open_page, lead):
    from playwright.sync_api import expect

    page = open_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(lead.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )
    sign_in(page, lead.username, "pw-for-tests")
    assert page.get_by_role("heading", level=1).inner_text() == "Releases"
