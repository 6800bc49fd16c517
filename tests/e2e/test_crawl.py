"""Every link reachable from the dashboard works, for each demo role.

Signed in as the demo lead, engineer, auditor and team admin, a breadth-first
crawl with Django's test client follows every same-origin link from the
dashboard (bounded; sign-out, downloads and the admin left out: no GET link of
the app changes state). Every answer is 2xx or 3xx, and the pages that only a
typed URL reached before sit at most two clicks from the top navigation. Then
Chromium opens each distinct page template once per role, and no page logs a
console error or a Content-Security-Policy violation.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from apps.releases import services as releases
from apps.releases.models import Release
from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.e2e

ROLES = ["lead", "engineer", "auditor", "admin"]
MAX_PAGES = 120
SKIPPED = ("/accounts/logout/", "/admin/", "/static/")
# Pages only a typed URL reached before, by the name of their template: each
# must be at most two clicks from the dashboard (the top navigation's links and
# the account menu's are on every page, so one click from anywhere).
TWO_CLICKS = {
    "records/record.html": {"lead", "engineer", "auditor", "admin"},
    "monitoring/environment.html": {"lead", "engineer", "auditor", "admin"},
    "maintenance/environment.html": {"lead", "engineer", "auditor", "admin"},
    "oncall/team.html": {"lead", "engineer", "auditor", "admin"},
    "accounts/tokens.html": {"lead", "engineer", "auditor", "admin"},
    "notifications/preferences.html": {"lead", "engineer", "auditor", "admin"},
    "drf_spectacular/swagger_ui.html": {"lead", "engineer", "auditor", "admin"},
    "signoffs/signers.html": {"lead", "engineer", "auditor", "admin"},
    "notifications/webhooks.html": {"lead", "admin"},
    "records/audit_export.html": {"lead", "auditor", "admin"},
    "records/audit_log.html": {"lead", "auditor", "admin"},
    "accounts/teams.html": {"lead", "engineer", "auditor", "admin"},
    "accounts/team.html": {"lead", "engineer", "auditor", "admin"},
    "catalog/team.html": {"lead", "engineer", "auditor", "admin"},
    "contacts/team.html": {"lead", "engineer", "auditor", "admin"},
}
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


@dataclass
class Crawl:
    """What one role's crawl saw: status and depth per URL, a URL per template."""

    statuses: dict[str, int] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    template_depth: dict[str, int] = field(default_factory=dict)


def _same_origin(base: str, href: str) -> str | None:
    """The path and query of a same-origin link worth following, or None."""
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("http", "https") or url.netloc != "testserver":
        return None
    if url.path.startswith(SKIPPED) or "download" in url.query:
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def crawl(client: Client) -> Crawl:
    seen = Crawl()
    queue = deque([("/", 0)])
    seen.depth["/"] = 0
    while queue:
        path, depth = queue.popleft()
        response = client.get(path)
        seen.statuses[path] = response.status_code
        assert len(seen.statuses) < MAX_PAGES, "the crawl did not end"
        links: list[str] = []
        if response.status_code in (301, 302, 303, 307, 308):
            links = [response["Location"]]
        elif response.get("Content-Type", "").startswith("text/html"):
            if response.templates:
                name = response.templates[0].name
                seen.templates.setdefault(name, path)
                seen.template_depth[name] = min(
                    seen.template_depth.get(name, depth), depth
                )
            parser = _Links()
            parser.feed(response.content.decode())
            links = parser.hrefs
        for href in links:
            target = _same_origin(f"http://testserver{path}", href)
            if target and target not in seen.depth:
                seen.depth[target] = depth + 1
                queue.append((target, depth + 1))
    return seen


@pytest.fixture
def demo(transactional_db, live_server, settings):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    # Without the demo's production history: its hundreds of releases are the
    # same few templates again, and the crawl is bounded.
    call_command("seed_demo", "--no-history", stdout=StringIO())
    lead = User.objects.get(username="lead")
    release = Release.objects.get(version="2.4.0")
    # A finished release, so History has a row whose record to reach.
    old = releases.release_create(
        service=release.service,
        environment=release.environment,
        template=release.template,
        version="2.3.9",
        by=lead,
    )
    releases.release_transition(
        release=old, target="cancelled", by=lead, reason="Superseded by 2.4.0."
    )
    return release


def test_every_link_answers_and_no_page_logs_an_error(demo, browser, live_server):
    # One demo for both checks: seeding it costs more than crawling it.
    pages: dict[str, tuple[str, str]] = {}
    for role in ROLES:
        client = Client()
        assert client.login(username=role, password=f"shipshape-{role}")
        crawled = crawl(client)
        failing = {
            path: status
            for path, status in crawled.statuses.items()
            if not 200 <= status < 400
        }
        assert failing == {}, role
        assert len(crawled.statuses) > 15, role
        wanted = {name for name, roles in TWO_CLICKS.items() if role in roles}
        depths = crawled.template_depth
        assert wanted - depths.keys() == set(), f"{role}: not reachable"
        assert {name: depths[name] for name in wanted if depths[name] > 2} == {}, role
        # Each distinct page template once, as the first role that reached it.
        for name, path in crawled.templates.items():
            pages.setdefault(name, (role, path))
    assert "drf_spectacular/swagger_ui.html" in pages
    assert len(pages) > 15

    problems, too_wide = _browser_problems(browser, live_server, pages)
    csp = [problem for problem in problems if any(w in problem for w in CSP_WORDS)]
    assert csp == []
    assert problems == []
    # On a phone nothing makes the page itself scroll sideways (wide tables
    # scroll inside their card).
    assert too_wide == {}


def _browser_problems(
    browser, live_server, pages: dict
) -> tuple[list[str], dict[str, int]]:
    """Console errors and uncaught exceptions of each page, opened by its role,
    and the pages wider than a 390 px phone (their width). A screenshot of each
    page at both widths goes to test-artifacts/pages/."""
    problems: list[str] = []
    too_wide: dict[str, int] = {}
    messages: list[str] = []  # what the page being visited logged
    for role in ROLES:
        mine = sorted(
            (path, name) for name, (owner, path) in pages.items() if owner == role
        )
        if not mine:
            continue
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1366, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda message: (
                messages.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: messages.append(str(error)))
        sign_in(page, role, f"shipshape-{role}")
        for path, name in mine:
            del messages[:]
            page.goto(path)
            if name == "drf_spectacular/swagger_ui.html":
                page.get_by_role("heading", name="Shipshape API").wait_for()
                screenshot(page, "crawl-api-docs")
            problems += [f"{name} ({role}, {path}): {text}" for text in messages]
            shot = "pages/" + name.removesuffix(".html").replace("/", "-")
            screenshot(page, f"{shot}-1366")
            page.set_viewport_size({"width": 390, "height": 844})
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390 and name != "drf_spectacular/swagger_ui.html":
                too_wide[f"{name} ({role}, {path})"] = width
            screenshot(page, f"{shot}-390")
            page.set_viewport_size({"width": 1366, "height": 900})
        context.close()
    return problems, too_wide
