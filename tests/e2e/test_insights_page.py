"""The Insights page in a real browser, at desktop and phone widths, by
accessible names: the filters, each chart's text alternative and its table."""

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
