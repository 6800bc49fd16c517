"""Email notifications: preferences, digest, exactly once per recipient, sign-off
requests; through Django's test outbox and a real SMTP server on loopback
(aiosmtpd), which receives the message over a socket as any mail server would."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.notifications import mail, tasks
from apps.notifications.announcements import announce as front_door
from apps.notifications.models import EmailDelivery, EmailPreference, Notification
from apps.releases import services as releases
from apps.signoffs import services as signoffs
from tests import factories


class Inbox:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode())
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def announce(capture, team, key="probe.failed:1", **fields):
    with capture(execute=True):
        return front_door(
            fields.pop("event", "probe.failed"),
            key=key,
            subject=fields.pop("subject", "FAILING: Health on shop / production"),
            body="The health endpoint answers 500.",
            team_id=team.pk,
            **fields,
        ).notification


def test_team_members_get_one_email_each(
    team, lead, engineer, auditor, django_capture_on_commit_callbacks
):
    announce(django_capture_on_commit_callbacks, team)
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(
        [lead.email, engineer.email, auditor.email]
    )
    assert outbox.outbox[0].subject == "FAILING: Health on shop / production"


def test_the_same_occurrence_is_announced_once(
    team, lead, django_capture_on_commit_callbacks
):
    assert announce(django_capture_on_commit_callbacks, team) is not None
    assert announce(django_capture_on_commit_callbacks, team) is None
    assert len(outbox.outbox) == 1
    assert Notification.objects.count() == 1


def test_a_redelivered_email_task_sends_nothing_more(
    team, lead, django_capture_on_commit_callbacks
):
    announce(django_capture_on_commit_callbacks, team)
    row = EmailDelivery.objects.get()
    assert tasks.send_email.delay(row.pk).get() == "sent"
    assert tasks.send_email.delay(row.pk).get() == "sent"
    assert len(outbox.outbox) == 1


def test_people_choose_events_and_digest(
    team, lead, engineer, second_engineer, django_capture_on_commit_callbacks
):
    mail.email_preference_save(
        user=engineer, events=["probe.recovered"], digest=False, by=engineer
    )
    mail.email_preference_save(
        user=second_engineer, events=["probe.failed"], digest=True, by=second_engineer
    )
    announce(django_capture_on_commit_callbacks, team)
    announce(django_capture_on_commit_callbacks, team, key="probe.failed:2")
    assert [m.to[0] for m in outbox.outbox] == [lead.email, lead.email]
    assert mail.email_digest_send() == 1
    digest = outbox.outbox[-1]
    assert digest.to == [second_engineer.email]
    assert digest.subject == "Shipshape daily digest: 2 notifications"
    assert digest.body.count("FAILING: Health on shop / production") == 2
    assert mail.email_digest_send() == 0


def test_nobody_changes_another_persons_preferences(lead, engineer):
    with pytest.raises(PermissionDenied):
        mail.email_preference_save(user=engineer, events=[], digest=False, by=lead)
    with pytest.raises(ValidationError):
        mail.email_preference_save(
            user=engineer, events=["release.exploded"], digest=False, by=engineer
        )


def test_preferences_page_saves_choices(client, engineer):
    client.force_login(engineer)
    page = client.get("/webhooks/email/")
    assert page.status_code == 200
    assert "certificate.expiring" in page.text
    response = client.post(
        "/webhooks/email/",
        {"events": ["probe.failed", "release.ready"], "digest": "on"},
    )
    assert response.status_code == 302
    preference = EmailPreference.objects.get(user=engineer)
    assert (preference.events, preference.digest) == (
        ["probe.failed", "release.ready"],
        True,
    )
    assert AuditEvent.objects.filter(action="email_preference.changed").exists()


def test_lead_requests_a_signoff_from_a_named_person(
    release, lead, engineer, second_engineer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signoffs.signoff_request(
            release=release,
            role_key=release.signoff_roles[0]["key"],
            person=engineer,
            by=lead,
            note="before Friday please",
        )
    assert [m.to for m in outbox.outbox] == [[engineer.email]]
    message = outbox.outbox[0]
    assert message.subject.startswith("Sign-off requested: ")
    assert "before Friday please" in message.body
    event = AuditEvent.objects.get(action="signoff.requested")
    assert event.after["person"] == engineer.username


def test_only_leads_request_signoffs_and_only_from_signers(
    release, lead, engineer, auditor
):
    role = release.signoff_roles[0]["key"]
    with pytest.raises(PermissionDenied):
        signoffs.signoff_request(
            release=release, role_key=role, person=lead, by=engineer
        )
    with pytest.raises(ValidationError):
        signoffs.signoff_request(
            release=release, role_key=role, person=auditor, by=lead
        )
    with pytest.raises(ValidationError):
        signoffs.signoff_request(
            release=release, role_key="chef", person=engineer, by=lead
        )


def test_a_blocked_release_item_is_emailed_to_the_team(
    release, lead, engineer, django_capture_on_commit_callbacks
):
    item = release.items.filter(kind="check").first()
    with django_capture_on_commit_callbacks(execute=True):
        releases.release_item_set_state(
            item=item, state="blocked", note="staging is down", by=engineer
        )
    subjects = {m.subject for m in outbox.outbox}
    assert len(subjects) == 1
    assert subjects.pop().startswith("Blocked: ")
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(
        [lead.email, engineer.email]
    )


def test_email_goes_through_a_real_smtp_server(
    team, lead, smtp_server, settings, django_capture_on_commit_callbacks
):
    inbox, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "shipshape@example.test"
    announce(django_capture_on_commit_callbacks, team)
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert (sender, recipients) == ("shipshape@example.test", [lead.email])
    assert "Subject: FAILING: Health on shop / production" in content
    assert EmailDelivery.objects.get().status == "sent"


def test_an_unreachable_mail_server_is_retried_then_given_up(
    team, lead, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = False
    # The first attempt runs on commit; Celery schedules the retry it asks for.
    announce(django_capture_on_commit_callbacks, team)
    row = EmailDelivery.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.error
    with pytest.raises(tasks.SendFailed):
        mail.email_deliver(delivery_id=row.pk)
    assert mail.email_deliver(delivery_id=row.pk, final=True) == "gave_up"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("gave_up", 3)


def test_a_failed_audit_verification_is_told_to_admins_once(
    team, lead, django_capture_on_commit_callbacks
):
    from apps.audit.models import AuditVerification

    admin = factories.member(team, "admin")
    root = factories.UserFactory(is_superuser=True)
    AuditVerification.objects.create(ok=True, checked=10)
    AuditVerification.objects.create(
        ok=False, checked=7, broken_seq=7, problem="hash mismatch"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert mail.audit_chain_failures_notify() == 1
        assert mail.audit_chain_failures_notify() == 0
    assert sorted(m.to[0] for m in outbox.outbox) == sorted([admin.email, root.email])
    assert outbox.outbox[0].subject == "Audit chain verification FAILED at event #7"


def test_team_webhooks_hear_monitoring_events_with_their_subject(
    team, lead, django_capture_on_commit_callbacks
):
    from apps.notifications.models import Webhook, WebhookDelivery
    from apps.notifications.services import webhook_create

    webhook, _ = webhook_create(
        team=team,
        name="chat",
        url="http://127.0.0.1:9/hook",
        events=["probe.recovered"],
        slack=True,
        by=lead,
    )
    announce(
        django_capture_on_commit_callbacks,
        team,
        key="probe.recovered:1",
        event="probe.recovered",
        subject="Recovered: Health on shop / production",
        data={"probe": "Health"},
    )
    delivery = WebhookDelivery.objects.get(webhook=webhook, attempt=1)
    assert delivery.event == "probe.recovered"
    assert delivery.body == (
        '{"text": "[probe.recovered] Recovered: Health on shop / production"}'
    )
    assert Webhook.objects.count() == 1
