"""Sign-offs: a person's approval or rejection of a release for one role."""

from django.conf import settings
from django.db import models

from apps.releases.models import Release


class SignOff(models.Model):
    """A decision for a role. Never edited: a newer one supersedes it."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="signoffs"
    )
    role_key = models.SlugField(max_length=60)
    role_name = models.CharField(max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    evidence = models.JSONField(
        default=dict,
        help_text="What was true when the decision was made: settled items and "
        "passing probes.",
    )
    evidence_digest = models.CharField(max_length=64, blank=True)
    # With single sign-on: the provider's sign-in the signature was made under
    # (auth_time), and how (acr, amr), as the ID token said.
    auth_time = models.DateTimeField(null=True, blank=True)
    auth_acr = models.CharField(max_length=200, blank=True)
    auth_amr = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["release", "role_key", "-id"])]

    def __str__(self) -> str:
        return f"{self.role_name}: {self.get_decision_display()} by {self.user}"

    @property
    def is_approval(self) -> bool:
        return self.decision == self.Decision.APPROVE
