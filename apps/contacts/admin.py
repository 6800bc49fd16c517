"""Admin for contacts and support resources."""

from django.contrib import admin

from apps.contacts.models import Contact, SupportResource
from apps.core.admin_mixins import TeamScopedAdmin


@admin.register(Contact)
class ContactAdmin(TeamScopedAdmin):
    write_action = "manage_contacts"
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
class SupportResourceAdmin(TeamScopedAdmin):
    write_action = "manage_contacts"
    list_display = ["label", "kind", "url", "team", "service"]
    list_filter = ["kind", "team"]
    search_fields = ["label", "url"]
