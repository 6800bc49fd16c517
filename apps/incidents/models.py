"""An incident in a service, with the releases that caused and remediated it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import Team
from apps.catalog.models import Service
from apps.releases.models import Release


class Incident(models.Model):
    """Something that went wrong for users of a service.

    `caused_by` marks a deployment as failed in the change fail rate; the
    recovery time runs from `started_at` to `mitigated_at`. An incident from
    the webhook is found again by its `external_id`, so a resend updates it.
    """

    class Severity(models.TextChoices):
        SEV1 = "sev1", "SEV1 (critical)"
        SEV2 = "sev2", "SEV2 (major)"
        SEV3 = "sev3", "SEV3 (minor)"
        SEV4 = "sev4", "SEV4 (low)"

    class Source(models.TextChoices):
        PAGE = "page", "Page"
        API = "api", "API"
        WEBHOOK = "webhook", "Webhook"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(max_length=200)
    severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3
    )
    user_facing = models.BooleanField(
        default=True, help_text="Users noticed it: it counts in the rework rate."
    )
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    caused_by = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caused_incidents",
    )
    remediated_by = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remediated_incidents",
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.PAGE
    )
    external_id = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "external_id"],
                condition=~Q(external_id=""),
                name="incident_external_id_per_team",
            ),
        ]
        indexes = [models.Index(fields=["service", "started_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("incidents:edit", args=[self.pk])
