"""A team starts in the browser alone, from an operator's empty team to its
first ready release (members, a service and environment, contacts, its own
checklist, a probe, a release ticked, probed, signed and marked ready), and an
auditor reaches the audit log.

Driven by accessible names and roles only, at 1366×900 and 390×844; each page
is saved to test-artifacts/ at both widths.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts import services as accounts
from apps.catalog.models import Environment
from apps.releases import services as releases
from apps.releases.models import Release
from tests import factories
from tests.browser import SCREENS, open_on, screenshot, sideways

pytestmark = pytest.mark.e2e

# The team's own checklist, as its lead pastes it into the import page.
PAYMENTS_CHECKLIST = """# Payments release

## Pre-Deployment

### 1. Code

- [ ] Tests pass on the release branch
- [ ] Database migrations reviewed

## Sign-Off

- [ ] Technical Lead approval
"""


def _menu(page, link: str) -> None:
    """Open the account menu (a disclosure: its summary holds the name) and
    follow one of its links."""
    page.get_by_text(", account").locator("xpath=..").click()
    page.get_by_role("link", name=link).click()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_team_admin_onboards_a_second_team_from_nothing(
    open_page, screen, team, settings, target_url
):
    # The probe target is a loopback HTTP server (tests.probes.conftest); a
    # production install refuses loopback targets, as the SSRF guard should.
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    # What an operator does once: the team and its admin; people have accounts.
    payments = accounts.team_create(name=f"Payments {screen}", by=None)
    admin = factories.UserFactory(first_name="Ada", last_name="Admin")
    accounts.membership_set(team=payments, user=admin, role="admin", by=None)
    lead = factories.UserFactory(
        email=f"lena-{screen}@example.com", first_name="Lena", last_name="Lead"
    )
    engineer = factories.UserFactory(first_name="Eli", last_name="Engineer")

    page = open_on(open_page, admin, screen)
    page.goto("/")
    _menu(page, "Team settings")
    page.get_by_role("link", name=f"Members of {payments.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Members of {payments.name}"
    )
    screenshot(page, f"team-members-empty-{screen}")
    for person, role in ((lead.email, "Lead"), (engineer.username, "Engineer")):
        page.get_by_label("Username or email").fill(person)
        page.get_by_label("Role", exact=True).select_option(label=role)
        page.get_by_role("button", name="Add member").click()
    members = page.get_by_role("table", name=f"Members of {payments.name}")
    for person in (admin, lead, engineer):
        expect(members).to_contain_text(person.username)
    expect(page.get_by_label(f"Role of {lead.username}")).to_have_value("lead")
    page.get_by_label("Username or email").fill("nobody@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("No account has that username or email.")).to_be_visible()
    assert sideways(page) <= 0
    screenshot(page, f"team-members-{screen}")

    page.get_by_role("navigation", name="Team settings").get_by_role(
        "link", name="Services and environments"
    ).click()
    expect(page.get_by_text("No services yet.")).to_be_visible()
    page.get_by_role("link", name="New service").first.click()
    page.get_by_label("Name", exact=True).fill("Checkout API")
    page.get_by_label("Repository URL").fill("git.example.com/checkout")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="New environment of Checkout API").click()
    page.get_by_label("Name", exact=True).fill("production")
    page.get_by_label("Base URL").fill("https://checkout.example.com")
    page.get_by_label("API URL").fill("https://api.checkout.example.com")
    page.get_by_label("Kubernetes namespace").fill("Checkout_Prod")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Use lower-case letters, digits and hyphens")
    ).to_be_visible()
    screenshot(page, f"team-environment-error-{screen}")
    page.get_by_label("Kubernetes namespace").fill("checkout-prod")
    page.get_by_label("Probe zone").fill("eu-west")
    page.get_by_role("button", name="Save").click()
    environments = page.get_by_role("table", name="Environments of Checkout API")
    expect(environments).to_contain_text("https://api.checkout.example.com")
    expect(environments).to_contain_text("checkout-prod · eu-west")
    assert Environment.objects.filter(
        service__team=payments, name="production", k8s_namespace="checkout-prod"
    ).exists()
    assert sideways(page) <= 0
    screenshot(page, f"team-services-{screen}")

    page.get_by_role("navigation", name="Team settings").get_by_role(
        "link", name="Contacts and resources"
    ).click()
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("Role").fill("Payments on-call")
    page.get_by_label("Phone").fill("+49 30 555 0100")
    page.get_by_label("Escalation order").fill("1")
    page.get_by_label("Service").select_option(label="Checkout API")
    page.get_by_role("button", name="Save").click()
    contacts = page.get_by_role("table", name=re.compile("^Contacts of"))
    expect(contacts).to_contain_text("Payments on-call")
    assert sideways(page) <= 0
    screenshot(page, f"team-contacts-{screen}")

    # The lead takes over: the team's checklist, a probe, its first release.
    lena = open_on(open_page, lead, screen)
    lena.goto("/")
    lena.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Templates"
    ).click()
    lena.get_by_role("link", name="Import Markdown").click()
    lena.get_by_label("Team").select_option(label=payments.name)
    lena.get_by_label("Or paste the Markdown").fill(PAYMENTS_CHECKLIST)
    lena.get_by_role("button", name="Preview").click()
    expect(
        lena.get_by_role("heading", name="Preview: Payments release")
    ).to_be_visible()
    lena.get_by_role("button", name="Save as a new version").click()
    expect(lena.get_by_role("status")).to_contain_text("Imported")

    lena.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Environments"
    ).click()
    lena.get_by_role("link", name=re.compile("Checkout API.*production")).first.click()
    lena.get_by_role("link", name="Add a probe").click()
    lena.get_by_label("Name", exact=True).fill("Checkout health")
    lena.get_by_label("Kind").select_option(label="HTTP")
    lena.get_by_label("Target").fill(f"{target_url}/ok")
    lena.get_by_role("button", name="Save probe").click()
    expect(lena.get_by_role("status")).to_contain_text(
        "Saved the probe “Checkout health”."
    )

    lena.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Releases"
    ).click()
    lena.get_by_role("link", name="New release").first.click()
    lena.get_by_label("Service").select_option(label="Checkout API")
    lena.get_by_label("Environment").select_option(label="Checkout API / production")
    lena.get_by_label("Checklist template").select_option(label="Payments release v1")
    lena.get_by_label("Version").fill("1.0.0")
    lena.get_by_role("button", name="Open release").click()
    expect(lena.get_by_role("heading", level=1)).to_contain_text("1.0.0")
    bar = lena.locator("#readiness-bar")
    expect(bar).to_contain_text("Not ready")
    for text in (
        "Tests pass on the release branch",
        "Database migrations reviewed",
    ):
        lena.get_by_role("checkbox", name=text, exact=True).check()
        expect(
            lena.locator("li.is-done").filter(
                has=lena.get_by_role("checkbox", name=text, exact=True)
            )
        ).to_be_visible()
    lena.get_by_role("button", name="Run probes").click()
    expect(lena.locator("#probes")).to_contain_text("Passed", timeout=30_000)
    expect(bar).to_contain_text("1/1 probes passing")
    release = Release.objects.get(service__team=payments, version="1.0.0")

    # The engineer signs as technical lead, from the release page.
    eli = open_on(open_page, engineer, screen)
    eli.goto(release.get_absolute_url())
    eli.get_by_label("Role").select_option(label="Technical Lead")
    eli.get_by_role("button", name="Approve", exact=True).click()
    eli.get_by_role("button", name="Confirm approval").click()
    expect(eli.locator("#signoffs")).to_contain_text("You approved as Technical Lead.")

    # Back on the lead's page: all green, and she marks it ready.
    lena.reload()
    expect(bar).to_contain_text("100%")
    expect(lena.locator("#timeline")).to_contain_text(
        "Eli Engineer approved as technical lead"
    )
    lena.get_by_role("button", name="Mark ready").click()
    expect(lena.locator("#status-actions")).to_contain_text("Ready")
    release.refresh_from_db()
    assert release.status == "ready"
    assert release.override is None  # ready on its own, no lead override
    assert sideways(lena) <= 0
    screenshot(lena, f"team-first-ready-release-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_an_auditor_reaches_the_audit_log_and_the_record_in_two_clicks(
    open_page, screen, auditor, release, team
):
    lena = factories.member(team, "lead", first_name="Lena", last_name="Lead")
    item = release.items.filter(kind="check").order_by("position").first()
    releases.release_item_set_state(item=item, state="done", by=lena)
    page = open_on(open_page, auditor, screen)
    page.goto("/")
    _menu(page, "Audit log")  # two clicks: the menu, its link
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

    # The deployment record: History in the top navigation, then its link.
    factories.deployed(release, lena)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="History"
    ).click()
    page.get_by_role(
        "link", name=f"Deployment record of {release.service.name} {release.version}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{release.service.name} {release.version} → {release.environment.name}"
    )
    assert sideways(page) <= 0
    screenshot(page, f"record-from-history-{screen}")
