"""Emails and webhook payloads link to pages with absolute URLs, from SITE_URL.

A relative link (`/releases/5/`) in an email opens nothing in a mail client.
Each kind of notification email is produced here the way the app produces it,
and every link in every body must start with SITE_URL.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail as outbox
from django.utils import timezone

from apps.maintenance import services as maintenance
from apps.monitoring import services as monitoring
from apps.notifications import mail
from apps.notifications.announcements import announce
from apps.notifications.models import EmailPreference, Webhook, WebhookDelivery
from apps.probes import services as probes
from apps.releases import services as releases
from apps.signoffs import services as signoffs
from tests.api.conftest import make_ready
from tests.probes.conftest import target_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SITE = "https://shipshape.example.com"
# A path of a page, standing alone: what a relative link in a text email is.
RELATIVE = re.compile(r"(?<![\w/.:])/(?:releases|monitoring|maintenance|oncall)/\S*")
ABSOLUTE = re.compile(r"https?://\S+")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def _links(body: str) -> tuple[list[str], list[str]]:
    return ABSOLUTE.findall(body), RELATIVE.findall(body)


def test_every_notification_email_links_with_absolute_urls(
    release,
    lead,
    engineer,
    second_engineer,
    environment,
    template,
    target_url,  # noqa: F811 (fixture)
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    expected = {}
    with capture(execute=True):
        item = next(i for i in release.items.all() if i.gates_readiness)
        releases.release_item_set_state(
            item=item, state="blocked", note="waiting on the DBA", by=engineer
        )
    expected["Blocked:"] = f"{SITE}/releases/{release.pk}/"
    with capture(execute=True):
        signoffs.signoff_request(
            release=release,
            role_key=release.signoff_roles[0]["key"],
            person=second_engineer,
            by=lead,
        )
    expected["Sign-off requested"] = f"{SITE}/releases/{release.pk}/"
    releases.release_item_set_state(item=item, state="done", by=engineer)
    with capture(execute=True):
        releases.release_transition(
            release=make_ready(release, lead), target="ready", by=lead
        )
    expected["Ready to deploy"] = f"{SITE}/releases/{release.pk}/"

    config = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/fail",
    )
    monitoring.probe_schedule_save(
        config=config, by=lead, kind="interval", interval_minutes=1
    )
    with capture(execute=True):
        monitoring.probe_schedules_dispatch(now=timezone.now() + timedelta(seconds=1))
    expected["FAILING: Health"] = f"{SITE}/monitoring/environments/{environment.pk}/"

    maintenance.maintenance_plan_save(
        environment=environment, template=template, by=lead, time_zone="UTC"
    )
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    maintenance.maintenance_checklists_create_due(at)
    with capture(execute=True):
        maintenance.maintenance_overdue_flag(at + timedelta(days=40))
    expected["Overdue:"] = f"{SITE}/maintenance/environments/{environment.pk}/"

    EmailPreference.objects.create(user=lead, events=["probe.failed"], digest=True)
    with capture(execute=True):
        announce(
            "probe.failed",
            team_id=None,
            key="digest-test",
            subject="FAILING: digest",
            body="x",
            recipients=[lead],
        )
    mail.email_digest_send()
    expected["Shipshape daily digest"] = f"{SITE}/"

    found = {}
    for message in outbox.outbox:
        absolute, relative = _links(message.body)
        assert relative == [], (message.subject, message.body)
        assert all(link.startswith(SITE) for link in absolute), message.body
        for start, link in expected.items():
            if message.subject.startswith(start):
                found[start] = link in absolute
    assert found == dict.fromkeys(expected, True)


def test_webhook_payloads_carry_absolute_links(
    release, lead, django_capture_on_commit_callbacks
):
    Webhook.objects.create(
        team=release.team,
        name="links",
        url="https://hooks.example.com/in",
        events=["release.blocked"],
        created_by=lead,
    )
    item = next(i for i in release.items.all() if i.gates_readiness)

    releases.release_item_set_state(
        item=item, state="blocked", note="waiting on the DBA", by=lead
    )

    [delivery] = WebhookDelivery.objects.filter(event="release.blocked")
    facts = json.loads(delivery.body)["data"]["release"]
    assert facts["path"] == f"/releases/{release.pk}/"
    assert facts["url"] == f"{SITE}/releases/{release.pk}/"


def test_a_failed_window_points_at_the_rollback_plan_absolutely(release, lead):
    from apps.policy import verification
    from tests import factories

    Webhook.objects.create(
        team=release.team,
        name="verification",
        url="https://hooks.example.com/in",
        events=["verification.failed"],
        created_by=lead,
    )
    window = factories.VerificationWindowFactory(release=release)

    verification.verification_window_decide(
        window=window, outcome="failed", note="p95 over budget", by=lead
    )

    [delivery] = WebhookDelivery.objects.filter(event="verification.failed")
    data = json.loads(delivery.body)["data"]
    assert data["rollback_url"] == f"{SITE}/releases/{release.pk}/#phase-rollback"
