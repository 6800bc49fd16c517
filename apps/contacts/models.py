"""Emergency contacts and support resources of a team or one of its services."""

from django.db import models

from apps.accounts.models import Team
from apps.catalog.models import Service
from apps.core.models import TimeStampedModel


class Contact(TimeStampedModel):
    """A person to call, in escalation order; service-specific or team-wide."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="contacts")
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
        help_text="Leave empty for a contact of every service of the team.",
    )
    role = models.CharField(max_length=120, help_text="e.g. DevOps Lead")
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    escalation_order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["escalation_order", "role"]

    def __str__(self) -> str:
        return f"{self.role}: {self.name or self.email}"


class SupportResource(TimeStampedModel):
    """A link the team needs during an incident: docs, status page, chat, on-call."""

    class Kind(models.TextChoices):
        DOCUMENTATION = "documentation", "Documentation"
        STATUS_PAGE = "status_page", "Status page"
        INCIDENT_MANAGEMENT = "incident_management", "Incident management"
        TEAM_CHAT = "team_chat", "Team chat"
        ON_CALL = "on_call", "On-call schedule"
        OTHER = "other", "Other"

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="support_resources"
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="support_resources",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    label = models.CharField(max_length=120)
    url = models.URLField()

    class Meta:
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"
