"""Probe schedules per environment, and the environment's check history."""

from django.db import models

from apps.catalog.models import Environment
from apps.probes.models import ProbeConfig


class ProbeSchedule(models.Model):
    """When one configured probe runs on its own, outside any release.

    Every N seconds (at least MONITORING_MIN_INTERVAL_SECONDS), daily at a local
    time, or by a cron expression in a time zone. `next_run_at` is what the
    dispatcher asks for; `last_status` and `cert_mark` remember the state so a
    change is announced once, not on every run.
    """

    class Kind(models.TextChoices):
        INTERVAL = "interval", "Every N minutes"
        DAILY = "daily", "Daily at a time"
        CRON = "cron", "Cron expression"

    config = models.OneToOneField(
        ProbeConfig, on_delete=models.CASCADE, related_name="schedule"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    at_time = models.TimeField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=60, default="UTC")
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, blank=True)
    cert_mark = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The last certificate mark crossed (30/14/7)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["enabled", "next_run_at"])]

    def __str__(self) -> str:
        return f"schedule of {self.config}"

    @property
    def description(self) -> str:
        if self.kind == self.Kind.INTERVAL and self.interval_seconds:
            minutes, seconds = divmod(self.interval_seconds, 60)
            return (
                f"every {minutes} min"
                if not seconds
                else f"every {self.interval_seconds} s"
            )
        if self.kind == self.Kind.DAILY and self.at_time:
            return f"daily at {self.at_time:%H:%M} {self.time_zone}"
        return f"cron {self.cron} ({self.time_zone})"


class EnvironmentCheck(models.Model):
    """What a scheduled probe found; the environment's history, not a release's.

    One row per (probe, scheduled moment), so a redelivered task adds nothing.
    """

    environment = models.ForeignKey(
        Environment, on_delete=models.CASCADE, related_name="checks"
    )
    config = models.ForeignKey(
        ProbeConfig, on_delete=models.CASCADE, related_name="checks"
    )
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10)
    summary = models.TextField()
    observed = models.JSONField(default=dict)
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["config", "scheduled_for"], name="one_check_per_moment"
            )
        ]
        indexes = [models.Index(fields=["config", "-scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.config.name}: {self.status}"

    @property
    def failing(self) -> bool:
        return self.status in ("fail", "error")
