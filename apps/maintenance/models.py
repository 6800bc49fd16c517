"""Maintenance plans per environment and the recurring checklists they create."""

from django.conf import settings
from django.db import models

from apps.catalog.models import Environment
from apps.checklists.models import ChecklistTemplate


class MaintenancePlan(models.Model):
    """An environment's recurring maintenance, from a template's maintenance phase.

    Periods (days, weeks, months) are counted in `time_zone`.
    """

    environment = models.OneToOneField(
        Environment, on_delete=models.CASCADE, related_name="maintenance_plan"
    )
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="+"
    )
    time_zone = models.CharField(max_length=60, default="UTC")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who new checklists are assigned to.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"maintenance of {self.environment}"


class MaintenanceChecklist(models.Model):
    """The daily, weekly or monthly checks of one period, due at its end."""

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.CASCADE, related_name="checklists"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    period_start = models.DateField()
    due_at = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "cadence"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "cadence", "period_start"],
                name="one_checklist_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_cadence_display()} maintenance from {self.period_start}"

    def is_overdue(self, now) -> bool:
        return self.completed_at is None and now >= self.due_at


class MaintenanceItem(models.Model):
    """One check of a maintenance checklist: open, done or skipped with a note."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    checklist = models.ForeignKey(
        MaintenanceChecklist, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checklist", "position"]

    def __str__(self) -> str:
        return self.text
