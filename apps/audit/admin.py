"""Read-only admin for the audit trail and the chain's verifications."""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.audit.models import AuditEvent, AuditVerification


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "seq",
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "release_id",
        "ip",
    ]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "action", "target_id", "request_id"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    """Outcomes of the scheduled chain walks."""

    list_display = ["created_at", "ok", "checked", "broken_seq", "problem", "head_seq"]
    list_filter = ["ok"]
    readonly_fields = [f.name for f in AuditVerification._meta.fields]
