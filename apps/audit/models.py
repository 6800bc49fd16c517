"""The audit trail: one row per state change, chained by SHA-256."""

from django.conf import settings
from django.db import models

GENESIS = "0" * 64


class AuditEvent(models.Model):
    """Who changed what, when, from where; before and after hold changed fields only.

    Rows are never updated or deleted: database triggers refuse it (see
    `apps/audit/appendonly.py`). `hash` covers the row's canonical content and the
    previous row's hash, so an edit, removal or reordering is detectable.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    team_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    release_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"


class AuditHead(models.Model):
    """A single row holding the chain's head; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditAnchor(models.Model):
    """Where the chain starts after a prune: the last pruned event's seq and hash.

    Append-only like the events. The `audit.pruned` event that created it repeats
    both values inside the chain, so a forged anchor is detected by verification.
    """

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    pruned = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"audit anchor #{self.seq}"


class AuditVerification(models.Model):
    """The outcome of one walk of the chain, by the command or the schedule."""

    created_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    checked = models.PositiveIntegerField()
    broken_seq = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)
    head_seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"audit verification {'ok' if self.ok else 'FAILED'} ({self.checked})"
