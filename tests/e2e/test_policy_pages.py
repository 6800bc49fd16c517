"""The policy in a real browser: a waiver requested and approved from the
release page, a freeze window created with its preview, and an emergency
exception approved by two other leads.

Driven by accessible names and roles only, at 1366×900 and 390×844; every page
is saved to test-artifacts/ at both widths.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.browser import ARTIFACTS, screenshot

pytestmark = pytest.mark.e2e

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def _open(open_page, user, screen: str):
    width, height = SCREENS[screen]
    page = open_page(user, width=width)
    page.set_viewport_size({"width": width, "height": height})
    return page


def _sideways(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _panel(page, name: str) -> None:
    """The policy panel alone: the full release page is mostly its checklist."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#policy").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _moment(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_waiver_is_requested_and_approved_in_the_release_page(
    open_page, release, lead, team, screen
):
    from playwright.sync_api import expect

    approver = factories.member(team, "lead")
    item = release.items.filter(phase="pre_deployment", kind="check").first()
    page = _open(open_page, lead, screen)
    page.goto(release.get_absolute_url())

    page.get_by_text("Show what blocks this release").click()
    page.get_by_role("link", name="Request a waiver of a blocker…").click()
    expect(page.get_by_role("heading", name="Request a waiver")).to_be_visible()
    page.get_by_role("radio", name=f"{item.text} (open)").check()
    page.get_by_label("Reason").fill("Backups verified by hand this morning")
    assert _sideways(page) <= 0
    screenshot(page, f"policy-waiver-request-{screen}")
    page.get_by_role("button", name="Request the waiver").click()

    panel = page.locator("#policy")
    expect(page.get_by_text("requested: another lead approves it")).to_be_visible()
    expect(panel.get_by_text("Pending", exact=True)).to_be_visible()
    _panel(page, f"policy-panel-waiver-pending-{screen}")
    expect(
        panel.get_by_role("button", name=f"Approve the waiver of {item.text}")
    ).to_have_count(0)
    page.goto(release.get_absolute_url())
    approver_page = _open(open_page, approver, screen)
    approver_page.goto(f"{release.get_absolute_url()}#policy")
    approver_page.get_by_role(
        "button", name=f"Approve the waiver of {item.text}"
    ).click()

    panel = approver_page.locator("#policy")
    expect(
        approver_page.get_by_text(f"Waiver of “{item.text}” approved.")
    ).to_be_visible()
    expect(panel.get_by_text("Active", exact=True)).to_be_visible()
    expect(panel).to_contain_text(f"approved by {approver.username}")
    expect(approver_page.get_by_text("1 waived blocker")).to_be_visible()
    assert _sideways(approver_page) <= 0
    screenshot(approver_page, f"policy-waiver-approved-{screen}")
    _panel(approver_page, f"policy-panel-waiver-approved-{screen}")
    approver_page.get_by_text("1 waived blocker").click()
    approver_page.locator("#readiness-bar").screenshot(
        path=str(ARTIFACTS / f"policy-bar-waived-{screen}.png")
    )


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_freeze_window_then_an_emergency_exception_from_two_other_leads(
    open_page, release, environment, lead, team, screen
):
    from playwright.sync_api import expect

    second, third = factories.member(team, "lead"), factories.member(team, "lead")
    page = _open(open_page, lead, screen)
    page.goto("/")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Environments"
    ).click()
    page.get_by_role("link", name=f"Freezes of {environment}").click()
    expect(page.get_by_text("No freeze windows.")).to_be_visible()
    screenshot(page, f"policy-freezes-empty-{screen}")
    page.get_by_role("link", name="Add a freeze window").first.click()

    page.get_by_label("Name").fill("Weekly release train pause")
    page.get_by_role("radio", name="Repeatedly (cron)").check()
    page.get_by_label("Starts whenever (cron)").fill("0 18 * * fri")
    page.get_by_label("Time zone of the cron").fill("Europe/Berlin")
    page.get_by_label("Lasts (minutes)").fill("120")
    page.get_by_role("button", name="Preview").click()
    occurrences = page.get_by_role("region", name="Next occurrences").get_by_role(
        "listitem"
    )
    expect(occurrences).to_have_count(5)
    expect(occurrences.first).to_contain_text("Fri")
    assert _sideways(page) <= 0
    screenshot(page, f"policy-freeze-preview-{screen}")
    page.get_by_role("button", name="Save freeze window").click()
    expect(
        page.get_by_text("Freeze window “Weekly release train pause” saved.")
    ).to_be_visible()

    page.get_by_role("link", name="Add a freeze window").first.click()
    page.get_by_label("Name").fill("Payments incident")
    page.get_by_label("Reason").fill("Card network outage")
    page.get_by_role("radio", name="Once").check()
    page.get_by_label("Starts (UTC)").fill(_moment(timedelta(hours=-1)))
    page.get_by_label("Ends (UTC)").fill(_moment(timedelta(hours=5)))
    page.get_by_role("button", name="Save freeze window").click()
    row = page.get_by_role("row", name="Payments incident")
    expect(row).to_contain_text("In effect")
    assert _sideways(page) <= 0
    screenshot(page, f"policy-freezes-{screen}")

    page.goto(release.get_absolute_url())
    expect(page.locator("#policy")).to_contain_text("Freeze Payments incident")
    page.get_by_role("link", name="Request an emergency exception…").click()
    page.get_by_label("Reason").fill("Security fix for CVE-2026-1234")
    screenshot(page, f"policy-exception-request-{screen}")
    page.get_by_role("button", name="Request the exception").click()
    expect(page.get_by_text("approvals 0/2")).to_be_visible()
    _panel(page, f"policy-panel-exception-pending-{screen}")
    expect(
        page.get_by_role("button", name="Approve the emergency exception")
    ).to_have_count(0)

    for approver, said in ((second, "approvals 1/2"), (third, None)):
        other = _open(open_page, approver, screen)
        other.goto(f"{release.get_absolute_url()}#policy")
        other.get_by_role("button", name="Approve the emergency exception").click()
        if said:
            expect(other.get_by_text(said)).to_be_visible()
    expect(
        other.get_by_text("Emergency exception approved by two leads.")
    ).to_be_visible()
    expect(other.locator("#policy")).to_contain_text(
        f"emergency exception approved by {second.username} and {third.username}"
    )
    assert _sideways(other) <= 0
    screenshot(other, f"policy-exception-approved-{screen}")
    _panel(other, f"policy-panel-exception-approved-{screen}")


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_deploy_starts_the_verification_window_shown_with_its_chart(
    open_page, release, environment, lead, target_url, screen
):
    from playwright.sync_api import expect

    from apps.probes import services as probe_services

    probe_services.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
        timeout=5,
    )
    page = _open(open_page, lead, screen)
    page.goto(f"/environments/{environment.pk}/")
    page.get_by_role("navigation", name=f"Pages of {environment}").get_by_role(
        "link", name="Verification"
    ).click()
    expect(page.get_by_text("releases are not verified after deploy")).to_be_visible()
    page.get_by_label("Verify each release marked deployed here").check()
    page.get_by_label("For (seconds)").fill("600")
    page.get_by_label("Measure every (seconds)").fill("60")
    page.get_by_role("button", name="Save verification settings").click()
    expect(page.get_by_text("Verification settings saved.")).to_be_visible()
    assert _sideways(page) <= 0
    screenshot(page, f"policy-verification-settings-{screen}")

    page.goto(release.get_absolute_url())
    deploy = page.locator("details.action", has_text="Mark deployed anyway")
    deploy.get_by_text("Mark deployed anyway…").click()
    deploy.get_by_label("Reason").fill("Hotfix for the checkout outage")
    deploy.get_by_role("button", name="Mark deployed anyway").click()
    expect(page.locator("#status-actions")).to_contain_text("Deployed")
    page.reload()

    panel = page.locator("#policy")
    expect(
        panel.get_by_role("heading", name="Verification after deploy")
    ).to_be_visible()
    expect(panel.get_by_role("img", name="1 measurement: 1 succeeded")).to_be_visible()
    assert _sideways(page) <= 0
    _panel(page, f"policy-panel-verification-{screen}")
