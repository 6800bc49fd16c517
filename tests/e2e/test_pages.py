"""Every main page at desktop and phone widths: it renders, fits, and is saved."""

import pytest

from tests.browser import screenshot

pytestmark = pytest.mark.e2e

PAGES = [
    ("dashboard", "/"),
    ("history", "/history/"),
    ("new-release", "/releases/new/"),
    ("templates", "/templates/"),
    ("environments", "/environments/"),
]


@pytest.mark.parametrize("width", [1280, 375])
def test_main_pages_fit_the_screen(open_page, lead, release, width):
    page = open_page(lead, width=width)
    more = [
        ("release", release.get_absolute_url()),
        ("template", f"/templates/{release.template_id}/"),
        ("template-import", "/templates/import/"),
        ("signers", f"/teams/{release.team_id}/signers/"),
        ("environment", f"/environments/{release.environment_id}/"),
        ("probe-new", f"/environments/{release.environment_id}/probes/new/"),
    ]
    for name, path in [*PAGES, *more]:
        response = page.goto(path)
        assert response.status == 200, path
        assert page.get_by_role("heading", level=1).count() == 1
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at {width} px"
        screenshot(page, f"{name}-{width}")


def test_keyboard_reaches_the_first_checkbox_and_ticks_it(open_page, lead, release):
    from playwright.sync_api import expect

    page = open_page(lead)
    page.goto(release.get_absolute_url())
    first = page.get_by_role("checkbox").first
    first.focus()
    page.keyboard.press("Space")
    expect(page.locator("li.is-done").first).to_be_visible()
    focused = page.evaluate("document.activeElement && document.activeElement.type")
    assert focused == "checkbox"
