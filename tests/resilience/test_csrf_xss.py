"""CSRF on every form and htmx POST, and stored XSS rendered inert.

CSRF: every state-changing endpoint of the URL configuration (pages, htmx
partials and the API under a browser session) refuses a POST without the CSRF
token with 403, even for a user who may otherwise make that change; nothing is
written. API calls with a bearer token carry no cookie and need no CSRF token.

XSS: markup stored in item text, notes, sign-off comments and probe summaries
is escaped wherever it is shown, versions refuse markup when written, and the
Content-Security-Policy would refuse inline script anyway.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.checklists import services as checklists
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases import services as releases
from apps.releases.models import ReleaseItem
from apps.signoffs import services as signoffs
from tests import factories
from tests.resilience.test_access_control import (  # noqa: F401 (fixture)
    CLASSIFIED,
    url_of,
    world,
)

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


def test_every_post_without_a_csrf_token_is_refused(world):  # noqa: F811
    owner = factories.member(world["team"], "lead")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    events = AuditEvent.objects.count()
    accepted = []
    for name in CLASSIFIED:
        url = url_of(name, world)
        for headers in ({}, {"HX-Request": "true"}):
            if url.startswith("/api/"):
                response = client.post(url, "{}", content_type="application/json")
            else:
                response = client.post(url, {"state": "done"}, headers=headers)
            if response.status_code not in (403, 405):
                accepted.append((url, headers, response.status_code))
    assert accepted == []
    assert AuditEvent.objects.count() == events


def test_sign_in_itself_needs_the_csrf_token(db, engineer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": engineer.username, "password": "pw-for-tests"}
    )
    assert response.status_code == 403


@pytest.fixture
def poisoned(db, lead, engineer, second_engineer, team):
    """A release whose every user-written text is an XSS attempt."""
    source = checklists.template_export(checklists.template_ensure_default())
    source = source.replace("- [ ] ", f"- [ ] {PAYLOAD} ", 1)
    template = checklists.template_import(
        source=source, name="poisoned", by=lead, team=team
    )
    environment = factories.EnvironmentFactory(service__team=team)
    release = releases.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.0.0",
        by=lead,
        notes=PAYLOAD,
    )
    # Versions cannot hold markup at all: they are refused when written.
    with pytest.raises(ValidationError, match="letters, digits"):
        releases.release_create(
            service=environment.service,
            environment=environment,
            template=template,
            version="1.0<b>x",
            by=lead,
        )
    item = release.items.filter(kind="check").exclude(text__contains="<script").first()
    releases.release_item_set_state(
        item=item, state=ReleaseItem.State.BLOCKED, note=PAYLOAD, by=engineer
    )
    signoffs.signoff_record(
        release=release,
        role_key=release.signoff_roles[0]["key"],
        decision="reject",
        comment=PAYLOAD,
        by=second_engineer,
    )
    config = ProbeConfig.objects.create(
        environment=environment,
        name=PAYLOAD[:100],
        kind="http",
        target="http://x.test/",
    )
    run = ProbeRun.objects.create(
        release=release,
        environment=environment,
        config_ids=[config.pk],
        deadline=timezone.now() + timedelta(hours=1),
        status="failed",
        finished_at=timezone.now(),
    )
    ProbeResult.objects.create(
        run=run, config=config, name=PAYLOAD[:100], kind="http", status="fail",
        summary=PAYLOAD, duration_ms=1.0,
    )  # fmt: skip
    return release


def test_stored_markup_is_escaped_on_every_page_that_shows_it(poisoned, lead):
    client = Client()
    client.force_login(lead)
    pages = [
        poisoned.get_absolute_url(),
        f"/releases/{poisoned.pk}/probes/",
        "/",
        f"/records/releases/{poisoned.pk}/",
        f"/templates/{poisoned.template_id}/",
    ]
    shown = 0
    for url in pages:
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "<script>alert" not in body, url
        assert "onerror=alert" not in body or "&lt;img" in body, url
        shown += body.count(ESCAPED)
        csp = response.headers.get("Content-Security-Policy", "")
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        ), url
    # The payloads really were on the pages, escaped (item, note, comment, probe).
    assert shown >= 4
