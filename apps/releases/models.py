"""A release of a service to an environment, and its checklist snapshot."""

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import Team
from apps.catalog.models import Environment, Service
from apps.checklists.models import ChecklistTemplate, Severity, TemplateItem


class Release(models.Model):
    """A version of a service going to one environment, walked through a checklist.

    Releases are never deleted: cancel them instead.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_PROGRESS = "in_progress", "In progress"
        READY = "ready", "Ready"
        DEPLOYED = "deployed", "Deployed"
        ROLLED_BACK = "rolled_back", "Rolled back"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        PLANNED = "planned", "Planned"
        HOTFIX = "hotfix", "Hotfix"
        ROLLBACK = "rollback", "Rollback"
        EMERGENCY = "emergency", "Emergency"

    class DeployResult(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        ABORTED = "aborted", "Aborted"

    # Kinds that are not the planned flow: the rework rate's numerator.
    UNPLANNED = frozenset({Kind.HOTFIX, Kind.ROLLBACK, Kind.EMERGENCY})

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="releases")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="releases"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="releases"
    )
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="releases"
    )
    version = models.CharField(max_length=64)
    planned_for = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    notes = models.TextField(blank=True, help_text="What the release is about.")
    deployment_notes = models.TextField(
        blank=True, help_text="What happened during the deployment."
    )
    signoff_roles = models.JSONField(
        default=list, help_text="The template's sign-off roles when it was created."
    )
    allow_shared_signoffs = models.BooleanField(default=False)
    ready_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last entered ready."
    )
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rolled_back_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The earlier release of the environment the rollback restored.",
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.PLANNED, db_index=True
    )
    deploy_result = models.CharField(
        max_length=10,
        choices=DeployResult.choices,
        blank=True,
        help_text="How the deployment itself ended; empty until it was deployed.",
    )
    deploy_finished_at = models.DateTimeField(null=True, blank=True)
    remediates = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remediated_by",
        help_text="The release this one fixes (a hotfix or a rollback release).",
    )
    # The waivers the verdict let through when the release was deployed, as
    # they stood: the delivery metrics split outcomes by them.
    deploy_waivers = models.JSONField(default=list, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_reason = models.TextField(
        blank=True, help_text="Why the last transition was made (rollback, override)."
    )
    # The override under which the release entered `ready` or `deployed` against
    # the verdict (or skipping `ready`): set by release_transition() as it enters
    # either, cleared when it enters them on a ready verdict or is reopened.
    override_status = models.CharField(
        max_length=20,
        choices=Status.choices,
        blank=True,
        help_text="The status the override let the release enter.",
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    override_blockers = models.JSONField(
        default=list,
        blank=True,
        help_text="The readiness blockers that were overridden, as they stood.",
    )
    # What a deploy platform asked when it held a deploy on this release's
    # verdict (apps.integrations): platform, repository, sha, ref, run and
    # installation ids, callback URL, delivery id. Empty when none did.
    gate_request = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(
        default=0, help_text="Bumped on every change; keys cached fragments."
    )
    # Set by a database trigger on every INSERT and UPDATE, through any code path
    # (a service, the admin, a queryset update()), from one increasing sequence
    # (apps/releases/activity.py). The newest per team tells whether anything in
    # a team's releases changed, in one index lookup per team.
    activity = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "version"],
                condition=~Q(status="cancelled"),
                name="one_live_release_per_environment_version",
            )
        ]
        indexes = [
            models.Index(fields=["team", "status", "-created_at"]),
            models.Index(fields=["team", "activity"], name="release_team_activity"),
            models.Index(
                fields=["environment", "deployed_at"], name="release_env_deployed"
            ),
            # The readiness lookup (a version of an environment, cancelled ones
            # included, which the partial unique constraint leaves out): deploy
            # platforms poll it every few seconds.
            models.Index(fields=["environment", "version"], name="release_env_version"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.version} → {self.environment.name}"

    def get_absolute_url(self) -> str:
        return reverse("releases:detail", args=[self.pk])

    @property
    def overridden(self) -> bool:
        return self.override_at is not None

    @property
    def override(self) -> dict | None:
        """The override as the API, the gate and the record show it, or None."""
        if self.override_at is None:
            return None
        return {
            "status": self.override_status,
            "by": self.override_by.get_username() if self.override_by else "",
            "at": self.override_at.isoformat(),
            "reason": self.override_reason,
            "blockers": self.override_blockers,
        }

    @property
    def override_stands(self) -> bool:
        """Whether the current status was entered by an override."""
        return self.overridden and self.status == self.override_status

    @property
    def status_label(self) -> str:
        """The status as people read it: an override is never plain "Ready"."""
        if self.override_stands:
            if self.status == self.Status.READY:
                return "Ready (override)"
            return "Deployed with override"
        return self.get_status_display()

    @property
    def badge_status(self) -> str:
        """The look of the status badge: an override has its own."""
        return "overridden" if self.override_stands else self.status

    @property
    def status_by(self) -> "User | None":
        """Who moved the release to its current status, where that is kept."""
        field = {
            self.Status.DEPLOYED: "deployed_by",
            self.Status.ROLLED_BACK: "rolled_back_by",
            self.Status.CANCELLED: "cancelled_by",
        }.get(self.status)
        if field is None:
            return self.override_by if self.override_stands else None
        return getattr(self, field)


class ReleaseCommit(models.Model):
    """A commit a release carries: its sha and when it was committed.

    Change lead time runs from each commit to the deploy that carried it.
    """

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="commits"
    )
    sha = models.CharField(max_length=64)
    committed_at = models.DateTimeField()

    class Meta:
        ordering = ["release", "committed_at", "sha"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "sha"], name="commit_once_per_release"
            )
        ]

    def __str__(self) -> str:
        return self.sha[:12]


class ReleaseItem(models.Model):
    """A checklist item of one release: a copy of the template item, and its state.

    The copy is what the release keeps, so editing a template never rewrites it.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_APPLICABLE = "na", "Not applicable"
        BLOCKED = "blocked", "Blocked"

    class Kind(models.TextChoices):
        CHECK = "check", "Check"
        STEP = "step", "Procedure step"

    NOTE_REQUIRED = frozenset({State.NOT_APPLICABLE, State.BLOCKED})

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="items")
    template_item = models.ForeignKey(
        TemplateItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField()
    phase = models.CharField(max_length=20)
    phase_title = models.CharField(max_length=200)
    section_title = models.CharField(max_length=200, blank=True)
    section_number = models.CharField(max_length=10, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHECK)
    text = models.CharField(max_length=500)
    command = models.TextField(blank=True)
    details = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    probe_kind = models.CharField(max_length=20, blank=True)
    severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.BLOCKING
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    evidence_result_id = models.BigIntegerField(
        null=True, blank=True, help_text="The probe result that set this state."
    )
    evidence_status = models.CharField(
        max_length=10,
        blank=True,
        help_text="That result's status: pass verified the item, warn left it open, "
        "fail or error blocked it. Empty once a person sets the state.",
    )
    by_hand = models.BooleanField(
        default=False,
        help_text="Ticked done by a person although a probe of the environment "
        "verifies it.",
    )
    accepted_warning = models.TextField(
        blank=True,
        help_text="The probe warning a person accepted by ticking the item done.",
    )

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "position"], name="item_position_per_release"
            )
        ]
        indexes = [
            # The Insights page's longest blocking items read only these rows of
            # each deploy, not all of its items (apps/insights/sql.py).
            models.Index(
                fields=["release"],
                condition=models.Q(
                    changed_at__isnull=False,
                    required=True,
                    kind="check",
                    phase="pre_deployment",
                ),
                name="item_changed_gating_checks",
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def gates_readiness(self) -> bool:
        """Required checks of the pre-deployment phase must be settled to deploy."""
        return (
            self.required
            and self.kind == self.Kind.CHECK
            and self.phase == "pre_deployment"
        )

    @property
    def verified_by_probe(self) -> bool:
        """Done because its probes passed; a warning or a person's tick is not proof."""
        return self.state == self.State.DONE and self.evidence_status == "pass"

    @property
    def probe_warning(self) -> bool:
        """Left open by a probe warning, shown beside it until someone accepts it."""
        return self.state == self.State.OPEN and self.evidence_status == "warn"

    @property
    def evidence_label(self) -> str:
        """What a probe had to do with the item's state, in words; "" for nothing."""
        if self.verified_by_probe:
            return "verified by probe"
        if self.probe_warning:
            return "left open by a probe warning"
        if self.state == self.State.BLOCKED and self.evidence_result_id:
            return "blocked by a failing probe"
        if self.state == self.State.DONE and self.accepted_warning:
            return (
                f"ticked by hand, accepting the probe warning: {self.accepted_warning}"
            )
        if self.state == self.State.DONE and self.by_hand:
            return "ticked by hand, not by probe"
        return ""

    @property
    def settled(self) -> bool:
        return self.state in (self.State.DONE, self.State.NOT_APPLICABLE)
