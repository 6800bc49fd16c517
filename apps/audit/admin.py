"""Read-only admin for the audit trail."""

from django.contrib import admin

from apps.audit.models import AuditEvent
from apps.core.admin_mixins import TeamScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(TeamScopedAdmin):
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

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
