"""Read-only admin for the audit trail."""

from django.contrib import admin

from apps.audit.models import AuditEvent, AuditVerification
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


@admin.register(AuditVerification)
class AuditVerificationAdmin(admin.ModelAdmin):
    """Outcomes of the scheduled chain walks; read-only, for superusers."""

    list_display = ["created_at", "ok", "checked", "broken_seq", "problem", "head_seq"]
    list_filter = ["ok"]
    readonly_fields = [f.name for f in AuditVerification._meta.fields]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
