"""Waivers, freeze windows, emergency exceptions and post-deploy verification."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.catalog.models import Environment
from apps.policy.facts import freeze_occurrence
from apps.releases.models import Release


class Waiver(models.Model):
    """One blocking item or probe that may be ignored for one release until expiry.

    A waiver counts only once someone other than its requester approved it, and
    only until `expires_at`; after that the blocker blocks again. A declined
    waiver never counts (its requester may decline it too: a withdrawal).
    """

    class BlockerType(models.TextChoices):
        ITEM = "item", "Checklist item"
        PROBE = "probe", "Probe"
        SIGNOFF = "signoff", "Sign-off role"

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    blocker_type = models.CharField(max_length=10, choices=BlockerType.choices)
    blocker_id = models.CharField(
        max_length=40,
        help_text="A release item id, a probe configuration id, or a sign-off "
        "role's key.",
    )
    label = models.CharField(max_length=500, help_text="What was waived, as shown.")
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(approved_by=F("requested_by")),
                name="waiver_approver_is_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(declined_by__isnull=True),
                name="waiver_approved_or_declined_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"Waiver of {self.blocker_type} {self.blocker_id} for {self.release_id}"

    @property
    def approved(self) -> bool:
        return self.approved_by_id is not None

    @property
    def declined(self) -> bool:
        return self.declined_by_id is not None


class FreezeWindow(models.Model):
    """A blackout of deploys to an environment: one-off, or recurring by cron.

    One-off windows cover [starts_at, ends_at). Recurring ones start whenever
    `cron` matches in `time_zone` and last `duration_minutes`.
    """

    environment = models.ForeignKey(
        Environment, on_delete=models.CASCADE, related_name="freeze_windows"
    )
    name = models.CharField(max_length=120)
    reason = models.CharField(max_length=500, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    cron = models.CharField(
        max_length=100, blank=True, help_text="minute hour day month weekday"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["environment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "name"], name="freeze_name_per_environment"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        cron="",
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        ends_at__gt=F("starts_at"),
                    )
                    | (~Q(cron="") & Q(duration_minutes__gt=0, starts_at__isnull=True))
                ),
                name="freeze_is_one_off_or_recurring",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recurring(self) -> bool:
        return bool(self.cron)

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The (start, end) of this window in effect at `at`, or None."""
        return freeze_occurrence(self, at)


class EmergencyException(models.Model):
    """Permission to deploy one release through a freeze, approved by two people."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    first_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    second_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_approver=F("second_approver")),
                name="emergency_needs_two_distinct_approvers",
            )
        ]

    def __str__(self) -> str:
        return f"Emergency exception for release {self.release_id}"

    @property
    def approved(self) -> bool:
        return (
            self.first_approver_id is not None and self.second_approver_id is not None
        )


class VerificationWindow(models.Model):
    """Post-deploy probing of a release every `interval_seconds` for a while.

    In the manner of Argo Rollouts' analysis runs: the window fails as soon as
    more than `failure_limit` measurements failed, passes at its end when the
    last `consecutive_successes` measurements passed, and is inconclusive
    otherwise (no data, or too few successes in a row); a person then decides.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    config_ids = models.JSONField(default=list)
    interval_seconds = models.FloatField()
    duration_seconds = models.FloatField()
    failure_limit = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=1)
    outcome = models.CharField(
        max_length=15, choices=Outcome.choices, default=Outcome.RUNNING, db_index=True
    )
    measurements = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    no_data = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(
        default=0, help_text="Successful measurements in a row, up to the latest."
    )
    summary = models.TextField(blank=True)
    p95_ms = models.FloatField(
        null=True, blank=True, help_text="HTTP latency p95 over the whole window."
    )
    regression_percent = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Flag a p95 this much worse than the previous release's window.",
    )
    regression = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    last_measured_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Verification window #{self.pk} of release {self.release_id}"

    @property
    def running(self) -> bool:
        return self.outcome == self.Outcome.RUNNING


class VerificationSample(models.Model):
    """What one probe found in one measurement of a verification window."""

    window = models.ForeignKey(
        VerificationWindow, on_delete=models.CASCADE, related_name="samples"
    )
    seq = models.PositiveIntegerField()
    config_id = models.BigIntegerField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=10)
    verdict = models.CharField(
        max_length=10, help_text="success, failure or no_data for the window."
    )
    summary = models.TextField()
    observed = models.JSONField(default=dict)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["window", "seq", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["window", "seq", "config_id"], name="one_sample_per_probe"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.seq}: {self.verdict}"


class VerificationSettings(models.Model):
    """How an environment verifies each release marked deployed there: off by
    default; when on, a verification window starts by itself on deploy."""

    environment = models.OneToOneField(
        Environment, on_delete=models.CASCADE, related_name="verification_settings"
    )
    enabled = models.BooleanField(default=False)
    duration_seconds = models.FloatField(default=600)
    interval_seconds = models.FloatField(default=30)
    failure_limit = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "verification settings"

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"Verification of {self.environment} ({state})"
