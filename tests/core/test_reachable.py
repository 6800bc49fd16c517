"""Pages once reached only by typing their URL are linked from the pages people use:
the account menu, the release page, History and the environments' pages."""

import re

import pytest

from apps.releases import services
from tests import factories


def _links(html: str) -> set[str]:
    return set(re.findall(r'<a [^>]*href="([^"#]+)"', html))


MENU = {
    "/accounts/teams/",
    "/accounts/tokens/",
    "/webhooks/email/",
    "/api/docs/",
}

# The audit log and the export of the audit trail.
AUDIT = {"/records/audit/", "/records/audit-events/"}


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (
            "lead",
            {"/webhooks/", "/integrations/github/", "/integrations/gitlab/", *AUDIT},
        ),
        (
            "admin",
            {"/webhooks/", "/integrations/github/", "/integrations/gitlab/", *AUDIT},
        ),
        ("auditor", AUDIT),
        ("engineer", set()),
    ],
)
def test_the_account_menu_offers_each_role_its_pages(client, team, role, extra):
    client.force_login(factories.member(team, role))
    html = client.get("/").content.decode()
    menu = re.search(r'<details class="usermenu">.*?</details>', html, re.S).group(0)

    assert _links(menu) == MENU | extra
    assert '<form method="post" action="/accounts/logout/">' in menu
    assert "<summary>" in menu


def test_the_release_page_links_its_record_and_environment(client, auditor, release):
    client.force_login(auditor)
    html = client.get(release.get_absolute_url()).content.decode()

    assert f"/records/releases/{release.pk}/" in _links(html)
    assert f"/environments/{release.environment_id}/" in _links(html)


def test_history_links_each_finished_releases_record(client, auditor, lead, release):
    services.release_transition(
        release=release, target="cancelled", by=lead, reason="Not needed."
    )
    client.force_login(auditor)
    html = client.get("/history/").content.decode()

    assert f"/records/releases/{release.pk}/" in _links(html)
    hidden = rf'<span\s+class="visually-hidden"> of {release.service.name} 1\.0\.0<'
    assert re.search("Deployment record" + hidden, html)


def test_environments_link_their_pages_and_those_pages_link_back(
    client, engineer, environment
):
    client.force_login(engineer)
    pk, slug = environment.pk, environment.service.team.slug
    pages = {
        f"/monitoring/environments/{pk}/",
        f"/maintenance/environments/{pk}/",
        f"/oncall/{slug}/",
    }
    listing = client.get("/environments/").content.decode()
    detail = client.get(f"/environments/{pk}/").content.decode()
    assert pages <= _links(listing)
    assert pages <= _links(detail)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert f"/environments/{pk}/" in _links(response.content.decode()), path
    for path in (f"/monitoring/environments/{pk}/", f"/maintenance/environments/{pk}/"):
        assert pages <= _links(client.get(path).content.decode())
