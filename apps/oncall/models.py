"""A team's weekly on-call rotation, its ordered people and holiday overrides."""

from django.conf import settings
from django.db import models

from apps.accounts.models import Team


class Rotation(models.Model):
    """Who is on call for a team: members take turns a week each.

    The first member's week starts at `handover_time` on `starts_on` (which
    falls on `handover_weekday`), in `time_zone`; each hand-over is at the same
    wall-clock time, so it stays put across daylight-saving changes.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="rotation")
    time_zone = models.CharField(max_length=60, default="UTC")
    handover_weekday = models.PositiveSmallIntegerField(
        default=0, help_text="0 is Monday, 6 is Sunday."
    )
    handover_time = models.TimeField()
    starts_on = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"on-call rotation of {self.team}"


class RotationMember(models.Model):
    """One person's place in the rotation's order."""

    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"], name="one_member_per_position"
            ),
            models.UniqueConstraint(
                fields=["rotation", "user"], name="member_once_per_rotation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.user}"


class Override(models.Model):
    """Someone covers the rotation for a while (a holiday, a swap).

    When overrides overlap, the most recently created one wins.
    """

    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, related_name="overrides"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="override_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} covers {self.starts_at:%Y-%m-%d} to {self.ends_at:%Y-%m-%d}"
        )
