"""Single sign-on fixtures: Shipshape pointed at the real test provider."""

import secrets
from dataclasses import dataclass

import httpx
import pytest

from tests import factories

ROLE_MAP = """\
rules:
  - group: platform-leads
    team: platform
    role: lead
  - group: platform-devs
    team: platform
    role: engineer
  - group: appsec
    team: platform
    signoff_group: Security
  - group: audit
    every_team: true
    role: auditor
    until: 2999-12-31
  - group: old-audit
    every_team: true
    role: auditor
    until: 2020-01-01
"""
PROVIDER_PASSWORD = "provider-pw-9f2"


@dataclass
class Sso:
    provider: object
    base_url: str

    def person(self, *, groups: list[str], name: str = "Ada Lovelace", **extra):
        """A new person at the provider; returns the claims' view (with sub)."""
        username = f"p-{secrets.token_hex(4)}"
        return self.provider.create_user(
            username, password=PROVIDER_PASSWORD, name=name, groups=groups, **extra
        )

    def client(self) -> httpx.Client:
        """A browser-like cookie jar, for Shipshape and the provider alike."""
        return httpx.Client(base_url=self.base_url, timeout=30)

    def sign_in(self, http: httpx.Client, username: str | None, *, path="/"):
        """Start at Shipshape, sign in on the provider's form (or silently
        when username is None), and follow the callback; its response."""
        start = http.get(f"/oidc/authenticate/?next={path}")
        assert start.status_code == 302, start.text
        back = self.provider.sign_in(
            http,
            start.headers["location"],
            username=username,
            password=PROVIDER_PASSWORD if username else None,
        )
        return http.get(back.location)


@pytest.fixture
def sso(settings, oidc_provider, live_server, tmp_path):
    """Single sign-on on, against the test provider; teams platform and
    payments, a Security sign-off group in platform; a role map file."""
    role_map = tmp_path / "roles.yaml"
    role_map.write_text(ROLE_MAP)
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_ROLE_MAP = str(role_map)
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_LOCAL_LOGIN = "break-glass"
    platform = factories.TeamFactory(name="Platform", slug="platform")
    factories.TeamFactory(name="Payments", slug="payments")
    from apps.accounts.models import SignOffGroup

    SignOffGroup.objects.create(team=platform, name="Security")
    url = live_server.url.replace("localhost", "127.0.0.1")
    return Sso(oidc_provider, url)


@pytest.fixture
def platform_release(sso):
    """A release of a platform service, created by a platform lead."""
    from apps.accounts.models import Team
    from apps.checklists import services as checklist_services
    from apps.releases import services as release_services

    platform = Team.objects.get(slug="platform")
    environment = factories.EnvironmentFactory(service__team=platform)
    return release_services.release_create(
        service=environment.service,
        environment=environment,
        template=checklist_services.template_ensure_default(),
        version="2.4.0",
        by=factories.member(platform, "lead"),
    )
