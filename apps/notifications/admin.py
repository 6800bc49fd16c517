"""Admin views of webhooks and their delivery log (read-only: services write)."""

from django.contrib import admin

from apps.notifications.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "url", "slack", "active", "created_at"]
    list_filter = ["team", "slack", "active"]
    exclude = ["secret_encrypted"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "webhook", "attempt", "status", "response_status"]
    list_filter = ["status", "event"]
    exclude = ["body"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
