"""The Insights page in a real browser, at desktop and phone widths, by
accessible names: the filters, each chart's text alternative and its table."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.browser import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def history(team, template, lead):
    """Six weekly production deploys of "shop"; the fourth was rolled back."""
    environment = factories.EnvironmentFactory(
        service__team=team, service__name="shop", name="production", production=True
    )
    now = timezone.now()
    for week in range(6):
        deployed = now - timedelta(weeks=week, hours=2)
        factories.shipped(
            environment,
            template,
            lead,
            f"1.{week}",
            deployed,
            rolled_back_at=deployed + timedelta(hours=1) if week == 3 else None,
        )
    return environment


CHARTS = (
    "Deploys per week",
    "Change lead time (median)",
    "Change fail rate",
    "Failed deployment recovery time (median)",
    "Deployment rework rate",
)


@pytest.mark.parametrize("width", [1280, 390])
def test_an_auditor_reads_the_insights_at_both_widths(
    open_page, auditor, history, width
):
    from playwright.sync_api import expect

    page = open_page(auditor, width=width)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Insights"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery insights")
    page.get_by_label("Period").select_option(label="12 weeks")
    page.get_by_label("Service").select_option(label="shop")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights/?weeks=12*")

    chart = page.get_by_role("img", name="Change fail rate, by week")
    expect(chart).to_be_visible()
    description = chart.get_attribute("aria-labelledby").split()[1]
    expect(page.locator(f"#{description}")).to_contain_text("Change fail rate over 12")
    # Every chart has a name and a description in words, and its table.
    for title in CHARTS:
        drawn = page.get_by_role("img", name=f"{title}, by week")
        expect(drawn).to_be_visible()
        described = drawn.get_attribute("aria-labelledby").split()[1]
        # "… over 12 weeks from …", or "…: no data in the 12 weeks shown."
        expect(page.locator(f"#{described}")).to_have_text(
            re.compile(rf"^{re.escape(title)}.* 12 weeks")
        )
        expect(
            page.get_by_role("table", name=f"{title}: the numbers by week")
        ).to_be_attached()
    table = page.get_by_role("table", name="Change fail rate: the numbers by week")
    expect(table.locator("tbody").get_by_role("row")).to_have_count(12)
    expect(page.get_by_text("1 of 6 deploys failed")).to_be_visible()
    expect(
        page.get_by_role("link", name="Download CSV of change fail rate")
    ).to_have_attribute(
        "href",
        f"/insights/export.csv?chart=change_fail_rate&weeks=12&service={history.service_id}",
    )
    expect(
        page.get_by_role("heading", name="Does readiness predict a good deploy?")
    ).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, f"insights-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_service_page_shows_its_delivery_strip(open_page, lead, history, width):
    from playwright.sync_api import expect

    page = open_page(lead, width=width)
    page.goto(f"/services/{history.service_id}/")

    strip = page.get_by_role("region", name="Delivery, last 26 weeks (production)")
    expect(strip).to_contain_text("1 of 6 deploys failed")
    expect(strip.get_by_role("link", name="Charts, tables and CSVs")).to_have_attribute(
        "href", f"/insights/?service={history.service_id}"
    )
