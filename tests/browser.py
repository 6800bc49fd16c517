"""Browser fixtures: Playwright with Debian's Chromium against a live server.

Registered once in tests/conftest.py, so every test module shares one browser.

pytest-playwright is not used: these fixtures launch the browser themselves.
Screenshots go to test-artifacts/ (ignored by git).
"""

import os
from pathlib import Path

import pytest

from tests.services import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "pw-for-tests"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"needs Debian's Chromium at {CHROMIUM}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: a missing browser is a failure)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the
    # tests make between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server):
    """Open a signed-in page for a user: open_page(user, width=1280)."""
    contexts = []

    def open_for(user=None, *, width: int = 1280):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if user is not None:
            sign_in(page, user.username, PASSWORD)
        return page

    yield open_for
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# The two screens every page is tried at.
SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def open_on(open_page, user, screen: str):
    """A signed-in page at one of SCREENS' sizes."""
    width, height = SCREENS[screen]
    page = open_page(user, width=width)
    page.set_viewport_size({"width": width, "height": height})
    return page


def sideways(page) -> int:
    """How far the page scrolls sideways (0 when it fits the screen)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
