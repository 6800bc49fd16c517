"""Teams and the role each member holds in them."""

from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A group of people who own services and their releases."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user's role in a team. One role per user and team."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        ENGINEER = "engineer", "Engineer"
        AUDITOR = "auditor", "Auditor"
        ADMIN = "admin", "Admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_role_per_team"),
        ]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"
