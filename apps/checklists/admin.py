"""Admin for checklist templates: read-only, since versions never change.

New versions come from `manage.py import_checklist` or the templates page.
"""

from django.contrib import admin

from apps.audit.admin_mixins import OperatorInline, ReadOnlyAdmin
from apps.checklists.models import (
    ChecklistTemplate,
    RunbookEntry,
    SignOffRole,
    TemplateItem,
    TemplatePhase,
)


class SignOffRoleInline(OperatorInline):
    model = SignOffRole
    fields = ["position", "key", "name", "label"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    has_change_permission = has_add_permission


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "title", "team", "created_at", "created_by"]
    list_filter = ["name", "team"]
    search_fields = ["name", "title"]
    inlines = [SignOffRoleInline]


@admin.register(TemplatePhase)
class TemplatePhaseAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "template", "position"]
    list_filter = ["kind", "template"]


@admin.register(TemplateItem)
class TemplateItemAdmin(ReadOnlyAdmin):
    list_display = ["text", "phase", "section", "required", "command", "probe_kind"]
    list_filter = ["phase__template", "phase__kind", "required", "probe_kind"]
    search_fields = ["text", "command"]
    list_select_related = ["phase", "section"]


@admin.register(RunbookEntry)
class RunbookEntryAdmin(ReadOnlyAdmin):
    list_display = ["problem", "template", "position"]
    search_fields = ["problem", "commands"]
