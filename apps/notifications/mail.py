"""Email notifications: record an event once, email each recipient once.

announcements.announce() calls notification_create() inside the announcing
transaction. It writes the notification under its unique key (a repeat of the
key does nothing), one EmailDelivery row per recipient who wants the event,
and enqueues the immediate emails after commit. Digest rows wait for the daily
digest. Sending claims a row before talking to the mail server, so a
redelivered task never sends twice.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Membership
from apps.audit import services as audit
from apps.audit.models import AuditVerification
from apps.core.links import absolute_url
from apps.notifications import announcements, tasks
from apps.notifications.models import (
    EMAIL_EVENTS,
    EmailDelivery,
    EmailPreference,
    Notification,
)

log = logging.getLogger(__name__)
Status = EmailDelivery.Status
CLAIM_STALE_AFTER = timedelta(minutes=5)


def wants(preference: EmailPreference | None, event: str) -> tuple[bool, bool]:
    """(emailed at all, as digest) for a person's preference row, or its absence."""
    if preference is None:
        return True, False
    return event in preference.events, preference.digest


def team_recipients(team_id: int) -> list[User]:
    """Active members of the team who have an email address."""
    return list(
        User.objects.filter(
            memberships__team_id=team_id, is_active=True, email__gt=""
        ).distinct()
    )


def admin_recipients() -> list[User]:
    """Superusers and team admins: who hears about trouble with the audit chain."""
    return list(
        User.objects.filter(is_active=True, email__gt="")
        .filter(Q(is_superuser=True) | Q(memberships__role=Membership.Role.ADMIN))
        .distinct()
    )


def notification_create(
    *,
    event: str,
    key: str,
    subject: str,
    body: str,
    data: dict[str, Any],
    team_id: int | None = None,
    recipients: Iterable[User] | None = None,
) -> Notification | None:
    """Record one occurrence of an emailed event; None when the key was seen before.

    Recipients default to the team's members (to admins without a team); each
    gets an email if their preferences want the event. `data` is the event's
    payload (events.py). Called by announcements.announce() only.
    """
    if event not in EMAIL_EVENTS:
        raise ValueError(f"Unknown notification event {event!r}.")
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            key=key[:200],
            defaults={
                "event": event,
                "team_id": team_id,
                "subject": subject[:300],
                "body": body,
                "data": data,
            },
        )
        if not created:
            return None
        if recipients is None:
            recipients = team_recipients(team_id) if team_id else admin_recipients()
        people = [person for person in recipients if person.email]
        preferences = {
            row.user_id: row for row in EmailPreference.objects.filter(user__in=people)
        }
        rows = []
        for person in people:
            emailed, digest = wants(preferences.get(person.pk), event)
            if emailed:
                rows.append(
                    EmailDelivery(
                        notification=notification,
                        recipient=person,
                        address=person.email,
                        digest=digest,
                    )
                )
        EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        immediate = EmailDelivery.objects.filter(
            notification=notification, digest=False
        ).values_list("pk", flat=True)
        for row_id in immediate:
            transaction.on_commit(partial(_enqueue, row_id))
    return notification


def _enqueue(row_id: int) -> None:
    try:
        tasks.send_email.delay(row_id)
    except Exception:
        # A broker outage must not undo the change that raised the event; the
        # row stays pending and the digest sweep picks it up.
        log.exception("could not enqueue email %s", row_id)


def email_deliver(*, delivery_id: int, final: bool = False) -> str:
    """Send one email row if nobody sent or is sending it; returns its status.

    A failure puts the row back to pending and raises tasks.SendFailed so the task
    retries; with `final`, the row gives up instead.
    """
    now = timezone.now()
    claimed = (
        EmailDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=Status.PENDING)
            | Q(status=Status.SENDING, claimed_at__lt=now - CLAIM_STALE_AFTER)
        )
        .update(status=Status.SENDING, claimed_at=now)
    )
    row = EmailDelivery.objects.select_related("notification").get(pk=delivery_id)
    if not claimed:
        return row.status
    notification = row.notification
    try:
        send_mail(
            subject=notification.subject,
            message=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[row.address],
        )
    except Exception as error:  # smtplib and socket errors vary widely.
        status = Status.GAVE_UP if final else Status.PENDING
        EmailDelivery.objects.filter(pk=row.pk).update(
            status=status,
            attempts=row.attempts + 1,
            error=f"{type(error).__name__}: {error}"[:300],
        )
        if final:
            return status
        raise tasks.SendFailed(str(error)) from error
    EmailDelivery.objects.filter(pk=row.pk).update(
        status=Status.SENT, attempts=row.attempts + 1, sent_at=timezone.now()
    )
    return Status.SENT


def email_digest_send() -> int:
    """Send each digest reader one email listing their waiting notifications.

    Also re-enqueues immediate emails left pending by a broker outage. Returns
    how many digests went out.
    """
    stuck = EmailDelivery.objects.filter(
        status=Status.PENDING,
        digest=False,
        created_at__lt=timezone.now() - CLAIM_STALE_AFTER,
    ).values_list("pk", flat=True)
    for row_id in list(stuck):
        _enqueue(row_id)
    sent = 0
    waiting = (
        EmailDelivery.objects.filter(status=Status.PENDING, digest=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for recipient_id in list(waiting):
        with transaction.atomic():
            rows = list(
                EmailDelivery.objects.select_for_update(skip_locked=True)
                .filter(recipient_id=recipient_id, status=Status.PENDING, digest=True)
                .select_related("notification")
                .order_by("id")
            )
            if not rows:
                continue
            lines = [
                f"- {row.notification.created_at:%Y-%m-%d %H:%M} UTC  "
                f"{row.notification.subject}"
                for row in rows
            ]
            body = (
                "Today in Shipshape:\n\n"
                + "\n".join(lines)
                + f"\n\nOpen Shipshape: {absolute_url(reverse('releases:dashboard'))}\n"
            )
            send_mail(
                subject=f"Shipshape daily digest: {len(rows)} notifications",
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[rows[0].address],
            )
            EmailDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Status.SENT, attempts=1, sent_at=timezone.now()
            )
            sent += 1
    return sent


@transaction.atomic
def email_preference_save(
    *, user: User, events: list[str], digest: bool, by: User
) -> EmailPreference:
    """Choose which events reach the user by email; only the user may change it."""
    if by.pk != user.pk and not by.is_superuser:
        raise PermissionDenied("You can only change your own email preferences.")
    unknown = [event for event in events if event not in EMAIL_EVENTS]
    if unknown:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    preference, _ = EmailPreference.objects.get_or_create(
        user=user, defaults={"events": list(EMAIL_EVENTS)}
    )
    before = {"events": preference.events, "digest": preference.digest}
    preference.events = [event for event in EMAIL_EVENTS if event in events]
    preference.digest = bool(digest)
    preference.save()
    audit.record(
        actor=by,
        action="email_preference.changed",
        target=preference,
        before=before,
        after={"events": preference.events, "digest": preference.digest},
    )
    return preference


def audit_chain_failures_notify(now: datetime | None = None) -> int:
    """Tell admins about every failed audit verification of the last week, once.

    Verification writes its outcome as a row; this reads the failed rows, so
    the audit app needs no knowledge of email. Returns how many were new.
    """
    since = (now or timezone.now()) - timedelta(days=7)
    told = 0
    failures = AuditVerification.objects.filter(ok=False, created_at__gte=since)
    for failure in failures.order_by("id"):
        announced = announcements.announce(
            "audit.chain_failed",
            team_id=None,
            key=f"audit.chain_failed:{failure.pk}",
            subject=f"Audit chain verification FAILED at event #{failure.broken_seq}",
            body=f"The audit chain check of {failure.created_at:%Y-%m-%d %H:%M} UTC "
            f"failed after {failure.checked} events: {failure.problem}\n\n"
            "Run `manage.py verify_audit` and see docs/audit.md.\n",
            data={"verification": failure.pk, "broken_seq": failure.broken_seq},
            recipients=admin_recipients(),
        )
        told += announced.notification is not None
    return told
