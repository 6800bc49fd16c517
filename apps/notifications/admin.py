"""Admin views of webhooks and their delivery log (read-only: services write)."""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.notifications.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = ["name", "team", "url", "slack", "active", "created_at"]
    list_filter = ["team", "slack", "active"]
    exclude = ["secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "webhook", "attempt", "status", "response_status"]
    list_filter = ["status", "event"]
    exclude = ["body"]
