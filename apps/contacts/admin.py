"""Admin for contacts and support resources (no services: saves are audited)."""

from django.contrib import admin

from apps.audit.admin_mixins import OperatorAdmin
from apps.contacts.models import Contact, SupportResource


@admin.register(Contact)
class ContactAdmin(OperatorAdmin):
    list_display = [
        "role",
        "name",
        "email",
        "phone",
        "escalation_order",
        "team",
        "service",
    ]
    list_filter = ["team", "service"]
    search_fields = ["role", "name", "email"]


@admin.register(SupportResource)
class SupportResourceAdmin(OperatorAdmin):
    list_display = ["label", "kind", "url", "team", "service"]
    list_filter = ["kind", "team"]
    search_fields = ["label", "url"]
