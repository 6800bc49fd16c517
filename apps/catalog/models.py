"""Services a team deploys, and the environments they are deployed to."""

from django.db import models

from apps.accounts.models import Team
from apps.core.models import TimeStampedModel


class Service(TimeStampedModel):
    """A deployable product owned by a team."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    repository_url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"], name="service_name_per_team"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Environment(TimeStampedModel):
    """Where a service runs: staging, production, and so on."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="environments"
    )
    name = models.CharField(max_length=60)
    base_url = models.URLField(blank=True, help_text="The public URL of the app.")
    api_url = models.URLField(blank=True, help_text="The API's base URL, if separate.")
    k8s_namespace = models.CharField("Kubernetes namespace", max_length=63, blank=True)
    notes = models.TextField(blank=True)
    # DORA counts production deploys only (apps.insights reads this flag).
    production = models.BooleanField(
        default=False,
        help_text="Serves real users: its deploys count in the delivery metrics.",
    )
    probe_zone = models.SlugField(
        max_length=40,
        blank=True,
        help_text="Network zone whose workers run this environment's probes "
        "(queue probes.<zone>); empty for the central workers.",
    )

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "name"], name="environment_name_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} / {self.name}"

    @property
    def team(self) -> Team:
        return self.service.team
