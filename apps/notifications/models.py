"""Outbound webhooks of a team, the log of every delivery attempt, and email
notifications: each event once, each recipient once, and their preferences."""

import uuid

from django.conf import settings
from django.db import models

from apps.accounts.models import Team
from apps.notifications import events

# The events and their payloads are described once, in events.py.
EVENTS = tuple((event.name, event.label) for event in events.EVENTS.values())
EVENT_NAMES = frozenset(events.EVENTS)
# The events a person can receive by email; see EmailPreference.
EMAIL_EVENTS = events.EMAIL_EVENTS


class Webhook(models.Model):
    """A URL that hears about the team's releases, signed with a shared secret.

    The secret is stored encrypted (it is needed in plain text to sign), and
    is shown only once, when the webhook is created.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=list)
    slack = models.BooleanField(
        default=False, help_text="Send a Slack-compatible body: {'text': …}."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"], name="webhook_name_per_team"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


class WebhookDelivery(models.Model):
    """One attempt to deliver one event. Retries add rows with the same delivery_id,
    so the receiver can recognise a repeat and the log shows every attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed, gave up"

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact bytes sent, as UTF-8 text.")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_id", "attempt"], name="one_row_per_attempt"
            )
        ]
        indexes = [models.Index(fields=["webhook", "-id"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt}: {self.status}"


class Notification(models.Model):
    """One occurrence of an event worth telling people about.

    `key` names the occurrence (a probe's fail transition, a release's block):
    it is unique, so a redelivered task or a repeated check cannot announce the
    same occurrence twice.
    """

    key = models.CharField(max_length=200, unique=True)
    event = models.CharField(max_length=40, db_index=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class EmailPreference(models.Model):
    """Which events reach a person by email, and whether as one daily digest.

    Someone without a row gets every event immediately.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preference",
    )
    events = models.JSONField(default=list)
    digest = models.BooleanField(
        default=False, help_text="Collect the emails into one message a day."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"email preferences of {self.user}"


class EmailDelivery(models.Model):
    """One notification's email to one person; sent at most once.

    The (notification, recipient) constraint keeps a redelivered task from
    writing a second row, and sending claims the row first, so a second task for
    the same row finds it already claimed or sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        GAVE_UP = "gave_up", "Failed, gave up"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="emails"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    address = models.EmailField()
    digest = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "recipient"], name="one_email_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification.event} to {self.address}: {self.status}"
