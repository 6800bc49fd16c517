"""One schema per event (apps/notifications/events.py), held to what is sent.

Every event is triggered here through the real services that announce it, and
each payload sent is checked against its schema: the `data` of every webhook
body and the `data` stored with every emailed notification. Probes run against
loopback HTTP and TLS servers; webhooks point at a closed loopback port, so a
delivery is written and attempted once, and its body is what is checked.
"""

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.audit import services as audit
from apps.audit.models import AuditVerification
from apps.maintenance import services as maintenance
from apps.monitoring import services as monitoring
from apps.notifications import announcements, events, mail
from apps.notifications import services as notifications
from apps.notifications.models import Notification, WebhookDelivery
from apps.policy import verification
from apps.probes import services as probes
from apps.releases import services as releases
from apps.signoffs import services as signoffs
from tests import factories
from tests.api.conftest import make_ready
from tests.monitoring.conftest import expiring_servers  # noqa: F401 (fixture)
from tests.probes.conftest import target_url  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
# publish() and announce() calls whose event name is not a string literal or a
# module constant, and the names each can take.
DYNAMIC = {
    ("apps/releases/services.py", "event"): set(releases.TRANSITION_EVENTS.values()),
    # _tell() announces only these two outcomes.
    ("apps/policy/verification.py", "f'verification.{window.outcome}'"): {
        "verification.failed",
        "verification.inconclusive",
    },
    # Passes on the name publish() was given, checked at its publisher.
    ("apps/notifications/subscribers.py", "event"): set(),
}


def published_names() -> dict[str, set[str]]:
    """Each publish() or announce() call in apps/, and the event names it sends."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "apps").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = str(path.relative_to(ROOT))
        constants = {
            node.targets[0].id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else ""
            name = callee.id if isinstance(callee, ast.Name) else name
            if name not in ("publish", "announce"):
                continue
            first = node.args[0]
            where = f"{module}:{node.lineno}"
            if isinstance(first, ast.Constant):
                found[where] = {first.value}
            elif isinstance(first, ast.Name) and first.id in constants:
                found[where] = {constants[first.id]}
            else:
                key = (module, ast.unparse(first))
                assert key in DYNAMIC, f"{where}: add {key} to DYNAMIC"
                found[where] = DYNAMIC[key]
    return found


def test_every_event_name_an_app_publishes_has_a_schema():
    found = published_names()
    unknown = {
        where: sorted(names - set(events.EVENTS))
        for where, names in found.items()
        if names - set(events.EVENTS)
    }

    assert len(found) >= 14
    assert unknown == {}
    assert set().union(*found.values()) == set(events.EVENTS)


def test_docs_events_md_is_generated_from_the_schemas():
    page = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")

    assert page == events.markdown()
    call_command("events_doc", "--check")


def test_email_events_are_the_events_with_email_recipients():
    emailed = {name for name, event in events.EVENTS.items() if event.email}

    assert sorted(events.EMAIL_EVENTS) == sorted(emailed)


def test_a_payload_off_its_schema_is_reported():
    data = {
        "seq": "5",
        "hash": "ab",
        "event_time": None,
        "extra": 1,
    }

    assert events.problems("audit.head_published", data) == [
        "audit.head_published.extra: not in the schema",
        "audit.head_published.seq: expected integer, got str",
    ]
    assert events.problems("audit.head_published", {"seq": 1, "hash": None}) == [
        "audit.head_published.hash: null",
        "audit.head_published.event_time: missing",
    ]
    assert events.problems("release.exploded", {}) == [
        "'release.exploded' has no schema"
    ]


@pytest.mark.django_db
def test_every_event_sent_matches_its_schema(
    settings,
    monkeypatch,
    team,
    lead,
    engineer,
    second_engineer,
    environment,
    template,
    release,
    target_url,  # noqa: F811 (fixture)
    expiring_servers,  # noqa: F811 (fixture)
    django_capture_on_commit_callbacks,
):
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    capture = django_capture_on_commit_callbacks
    factories.member(team, "admin")
    notifications.webhook_create(
        team=team,
        name="everything",
        url="http://127.0.0.1:9/hook",
        events=list(events.EVENTS),
        by=lead,
    )
    announced: list[str] = []
    front_door = announcements.announce

    def recorded(event, **given):
        announced.append(event)
        return front_door(event, **given)

    monkeypatch.setattr(announcements, "announce", recorded)

    # A release blocked, asked for a sign-off, deployed over its blockers,
    # verified (inconclusive, then settled as failed) and rolled back.
    item = next(i for i in release.items.all() if i.gates_readiness)
    with capture(execute=True):
        releases.release_item_set_state(
            item=item, state="blocked", note="waiting on the DBA", by=engineer
        )
        signoffs.signoff_request(
            release=release,
            role_key=release.signoff_roles[0]["key"],
            person=second_engineer,
            by=lead,
        )
        releases.release_transition(
            release=release, target="deployed", by=lead, override=True, reason="fix"
        )
    window = factories.VerificationWindowFactory(
        release=release, outcome="running", interval_seconds=1, summary=""
    )
    with capture(execute=True):
        window = verification.verification_tick(window_id=window.pk, schedule=False)
        verification.verification_window_decide(
            window=window, outcome="failed", note="p95 over budget", by=lead
        )
        releases.release_transition(
            release=release, target="rolled_back", by=lead, reason="errors"
        )

    # Another release signed off, made ready, and probed by a failing probe.
    second = releases.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="2.0.0",
        by=lead,
    )
    with capture(execute=True):
        releases.release_transition(
            release=make_ready(second, lead), target="ready", by=lead
        )
    health = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/fail",
    )
    with capture(execute=True):
        probes.probe_run_start(release=second, by=lead)

    # Scheduled checks: failing, a certificate with 20 days left, recovering.
    tls = probes.probe_config_save(
        environment=environment,
        by=lead,
        name="TLS",
        kind="tls",
        target=expiring_servers[20],
        options={"check_hsts": "false"},
    )
    for config in (health, tls):
        monitoring.probe_schedule_save(
            config=config, by=lead, kind="interval", interval_minutes=1
        )
    now = timezone.now() + timedelta(seconds=1)
    with capture(execute=True):
        monitoring.probe_schedules_dispatch(now=now)
    probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
        config=health,
    )
    with capture(execute=True):
        monitoring.probe_schedules_dispatch(now=now + timedelta(minutes=1))

    # Maintenance overdue, the audit chain's head and a failed verification of it.
    maintenance.maintenance_plan_save(
        environment=environment, template=template, by=lead, time_zone="UTC"
    )
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    maintenance.maintenance_checklists_create_due(at)
    AuditVerification.objects.create(
        ok=False, checked=7, broken_seq=7, problem="hash mismatch"
    )
    with capture(execute=True):
        maintenance.maintenance_overdue_flag(at + timedelta(days=40))
        audit.audit_head_publish()
        mail.audit_chain_failures_notify()

    sent: dict[str, set[str]] = {name: set() for name in events.EVENTS}
    probe_failures = set()
    for row in WebhookDelivery.objects.filter(attempt=1).order_by("id"):
        body = json.loads(row.body)
        assert list(body) == ["event", "delivery_id", "created_at", "team", "data"]
        assert (body["event"], body["team"]) == (row.event, team.pk)
        assert events.problems(row.event, body["data"]) == [], body["data"]
        sent[row.event].add("webhook")
        if row.event == "probe.failed":
            data = body["data"]
            probe_failures.add((data["run"] is not None, data["check"] is not None))
    for notification in Notification.objects.order_by("id"):
        assert events.problems(notification.event, notification.data) == [], (
            notification.data
        )
        subject = notification.data.get("subject", notification.subject)
        assert subject == notification.subject
        assert notification.emails.exists()
        sent[notification.event].add("email")

    assert sent == {
        name: {
            *(["webhook"] if event.webhooks != events.NO_WEBHOOKS else []),
            *(["email"] if event.email else []),
        }
        for name, event in events.EVENTS.items()
    }
    assert probe_failures == {(True, False), (False, True)}
    assert set(announced) == set(events.EVENTS)
