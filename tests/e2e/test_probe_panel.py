"""A probe run started from the release page, executed by a real Celery worker
against a loopback HTTP server, with results appearing without a reload."""

import pytest

from apps.probes import services
from tests.browser import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.celery]


def test_probe_run_results_appear_while_the_page_stays(
    open_page, engineer, lead, release, target_url, start_worker
):
    from playwright.sync_api import expect

    for name, path in [("Health", "/ok"), ("Slow page", "/slow"), ("Broken", "/fail")]:
        services.probe_config_save(
            environment=release.environment,
            by=lead,
            name=name,
            kind="http",
            target=f"{target_url}{path}",
            timeout=5,
        )
    start_worker(["probes"])
    page = open_page(engineer)
    page.goto(release.get_absolute_url())
    page.evaluate("window.shipshapeMarker = 'same page'")
    page.get_by_role("button", name="Run probes").click()
    panel = page.locator("#probes")
    expect(panel).to_contain_text("Run #", timeout=10_000)
    expect(panel.locator(".probe-result")).to_have_count(3, timeout=60_000)
    expect(panel).to_contain_text("Failed", timeout=30_000)
    expect(panel.locator("#probes-title")).to_contain_text("Failed")
    expect(page.locator("#readiness-bar")).to_contain_text("2/3 probes passing")
    assert page.evaluate("window.shipshapeMarker") == "same page"
    panel.get_by_text("Broken").click()
    expect(panel.locator("#probes pre.observed, pre.observed").first).to_contain_text(
        "500"
    )
    screenshot(page, "probe-run-finished")
