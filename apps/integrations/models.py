"""Mappings from deploy platforms to services, their webhook deliveries, and the
gate requests a platform holds a deploy on."""

from django.conf import settings
from django.db import models

from apps.accounts.models import Team
from apps.catalog.models import Environment, Service
from apps.releases.models import Release


class GitHubMapping(models.Model):
    """A repository's GitHub environment, gated by a service's environment.

    A deployment of `repository` to `environment_name` waits on the verdict of
    the release of `service` to `environment` for its version. Releases the app
    creates are created in the name of the lead who made the mapping.
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    repository = models.CharField(
        max_length=140, help_text="Full name on GitHub: owner/name."
    )
    environment_name = models.CharField(
        max_length=255, help_text="The GitHub environment, e.g. production."
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="+"
    )
    # Learned from the first delivery, or given: the reconciler lists the
    # repository's waiting runs as this installation.
    installation_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["repository", "environment_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "environment_name"],
                name="one_github_mapping_per_repository_environment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.repository} {self.environment_name} → {self.environment}"


class WebhookDelivery(models.Model):
    """One webhook delivery a platform sent, kept once per delivery id."""

    source = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="one_delivery_per_id"
            )
        ]
        # Pruning finds the oldest (INBOUND_WEBHOOK_RETENTION_DAYS).
        indexes = [models.Index(fields=["received_at"], name="delivery_received_at")]

    def __str__(self) -> str:
        return f"{self.source} {self.event} {self.delivery_id}"


class GateRequest(models.Model):
    """A platform holding one deployment until the release's verdict decides it.

    One per workflow run and environment, however often GitHub delivers the
    request or the reconciler finds the run: the second sight of it is the first.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="gate_requests"
    )
    mapping = models.ForeignKey(
        GitHubMapping, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    repository = models.CharField(max_length=140)
    environment_name = models.CharField(max_length=255)
    run_id = models.BigIntegerField()
    installation_id = models.BigIntegerField()
    sha = models.CharField(max_length=64)
    ref = models.CharField(max_length=255, blank=True)
    callback_url = models.URLField(max_length=500)
    delivery_id = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.WAITING
    )
    comments_posted = models.PositiveSmallIntegerField(default=0)
    last_comment = models.CharField(max_length=64, blank=True)
    last_comment_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    commits_outcome = models.CharField(
        max_length=300,
        blank=True,
        help_text="How filling the release's commits from GitHub went: how many, "
        "or why not (the gate is answered either way).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "run_id", "environment_name"],
                name="one_gate_request_per_run_environment",
            )
        ]
        indexes = [
            models.Index(fields=["state", "release"], name="gate_request_state_release")
        ]

    def __str__(self) -> str:
        return f"{self.repository} run {self.run_id} ({self.environment_name})"


class GitLabMapping(models.Model):
    """A GitLab project's environment, gated by a service's environment.

    Keyless CI jobs of `project_path` deploying to `environment_name` ask about
    the release of `service` to `environment`; its blocked deployments are
    approved or rejected with the project's access token (stored encrypted,
    never shown again). Releases made for it are made in the name of the lead
    who made the mapping.
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    project_path = models.CharField(
        max_length=255, help_text="The project's full path on GitLab: group/project."
    )
    environment_name = models.CharField(
        max_length=255, help_text="The GitLab environment, e.g. production."
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="+"
    )
    # A project or group access token (api scope), encrypted with
    # apps.core.crypto; empty: the mapping serves keyless CI only.
    access_token_encrypted = models.TextField(blank=True, editable=False)
    # The approval rule or group the bot approves as (GitLab's represented_as).
    represented_as = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_path", "environment_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project_path", "environment_name"],
                name="one_gitlab_mapping_per_project_environment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_path} {self.environment_name} → {self.environment}"

    @property
    def has_token(self) -> bool:
        return bool(self.access_token_encrypted)


class GitLabDeployment(models.Model):
    """A GitLab deployment blocked on approval, held until the release decides it.

    Kept once per GitLab deployment however often beat lists it; answered once.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="gitlab_deployments"
    )
    mapping = models.ForeignKey(
        GitLabMapping, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    project_path = models.CharField(max_length=255)
    environment_name = models.CharField(max_length=255)
    deployment_id = models.BigIntegerField()
    sha = models.CharField(max_length=64)
    ref = models.CharField(max_length=255, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.WAITING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project_path", "deployment_id"],
                name="one_gitlab_deployment_per_id",
            )
        ]
        indexes = [
            models.Index(
                fields=["state", "release"], name="gitlab_deploy_state_release"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_path} deployment {self.deployment_id}"


class GitLabStatusCheck(models.Model):
    """A merge request's external status check, answered for its head commit.

    Kept once per project, merge request, head sha and check: GitLab asks again
    on every update of the merge request. `failed` is posted at once while the
    release of that commit is not ready (GitLab fails a check left pending after
    two minutes), `passed` when it turns ready.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FAILED = "failed", "Failed"
        PASSED = "passed", "Passed"

    mapping = models.ForeignKey(
        GitLabMapping, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="+"
    )
    release = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gitlab_status_checks",
    )
    project_path = models.CharField(max_length=255)
    merge_request_iid = models.PositiveIntegerField()
    sha = models.CharField(max_length=64)
    check_id = models.BigIntegerField()
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project_path", "merge_request_iid", "sha", "check_id"],
                name="one_gitlab_status_check_per_head",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_path}!{self.merge_request_iid} at {self.sha[:7]}"
