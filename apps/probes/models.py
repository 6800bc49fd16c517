"""Probe configurations per environment, probe runs per release, and their results."""

from django.conf import settings
from django.db import models

from apps.accounts.models import Team
from apps.catalog.models import Environment
from apps.checklists.models import Severity, TemplateItem
from apps.releases.models import Release

KIND_CHOICES = [
    ("http", "HTTP"),
    ("tls", "TLS"),
    ("headers", "Security headers"),
    ("postgres", "PostgreSQL"),
    ("redis", "Redis"),
    ("queue", "Celery queue"),
    ("k8s", "Kubernetes"),
    ("prometheus", "Prometheus"),
    ("ratelimit", "Rate limit"),
    ("dns", "DNS"),
]


class ProbeConfig(models.Model):
    """One automated check of an environment, and the checklist items it proves.

    A secret (a DSN password, a bearer token) is never stored in plain text:
    either `secret_env` names an environment variable of the worker set aside
    for probes (apps/probes/secrets.py), or `secret_encrypted` holds it
    encrypted with PROBE_SECRET_KEY.
    """

    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="probe_configs"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    target = models.CharField(max_length=500)
    options = models.JSONField(default=dict, blank=True)
    timeout = models.FloatField(default=10.0)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        default=Severity.BLOCKING,
        help_text="An advisory probe's failure is a warning, never a blocker.",
    )
    secret_env = models.CharField(
        max_length=100, blank=True, help_text="Name of an environment variable."
    )
    secret_encrypted = models.TextField(blank=True, editable=False)
    verifies = models.ManyToManyField(TemplateItem, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["environment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "name"], name="probe_name_per_environment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_env or self.secret_encrypted)


class TeamNetwork(models.Model):
    """An internal network a team's probes may reach, beyond the global setting."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="networks")
    cidr = models.CharField(max_length=64)
    ports = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated ports; empty for any."
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["team", "cidr"]

    def __str__(self) -> str:
        return f"{self.cidr} ({self.ports or 'any port'})"


class ProbeRun(models.Model):
    """One verification of a release: every enabled probe of its environment."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        WARNED = "warned", "Passed with warnings"
        FAILED = "failed", "Failed"
        ERRORED = "errored", "Errored"

    FINISHED = frozenset({Status.PASSED, Status.WARNED, Status.FAILED, Status.ERRORED})

    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="probe_runs"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="probe_runs"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    environment_snapshot = models.JSONField(default=dict)
    config_ids = models.JSONField(default=list)
    queue = models.CharField(max_length=80, default="probes")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField()
    passed = models.PositiveIntegerField(default=0)
    warned = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errored = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Probe run #{self.pk} of {self.release}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def total(self) -> int:
        return len(self.config_ids)


class ProbeResult(models.Model):
    """What one probe found during one run. Never overwritten: runs add history."""

    class Status(models.TextChoices):
        PASS = "pass", "Pass"
        WARN = "warn", "Warning"
        FAIL = "fail", "Fail"
        ERROR = "error", "Error"

    run = models.ForeignKey(ProbeRun, on_delete=models.PROTECT, related_name="results")
    config = models.ForeignKey(
        ProbeConfig, on_delete=models.PROTECT, related_name="results"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    target = models.CharField(max_length=500, help_text="Passwords shown as ***.")
    status = models.CharField(max_length=10, choices=Status.choices)
    summary = models.TextField()
    observed = models.JSONField(default=dict)
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "config"], name="one_result_per_probe"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    @property
    def label(self) -> str:
        return self.name


# The statuses that fail a probe, as plain strings (a set of enum members would
# not match a status read from a row): `failing` is asked 4,000 times a page.
FAILING = frozenset(
    status.value for status in (ProbeResult.Status.FAIL, ProbeResult.Status.ERROR)
)
