"""The GitHub deployments page in a browser: a lead maps a repository with the
keyboard at phone width, and the release page shows the gate request."""

import pytest

from apps.releases import services as release_services
from tests.browser import screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_a_lead_maps_a_repository_with_the_keyboard(open_page, lead, release, width):
    from playwright.sync_api import expect

    page = open_page(lead, width=width)
    page.goto("/integrations/github/")
    page.get_by_label("Repository (owner/name)").fill("acme/shop")
    page.get_by_label("Waits on").select_option(str(release.environment_id))
    page.get_by_label("GitHub environment").fill("production")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Mapping added.")).to_be_visible()
    expect(page.locator("#github-mappings td code")).to_have_text("acme/shop")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, f"github-mappings-{width}")

    release_services.release_gate_request_set(
        release=release,
        gate_request={
            "platform": "github",
            "repository": "acme/shop",
            "environment_name": "production",
            "sha": "a1b2c3d4" * 5,
            "ref": "v1.0.0",
            "run_id": 1000123,
        },
        actor_label="GitHub deployment protection rule",
    )
    page.goto(release.get_absolute_url())
    expect(page.locator("#gate-request")).to_contain_text("run 1000123")
    screenshot(page, f"release-held-by-github-{width}")
