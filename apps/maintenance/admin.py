"""Admin views of maintenance plans and checklists (read-only: services write)."""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.maintenance.models import MaintenanceChecklist, MaintenancePlan


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(ReadOnlyAdmin):
    list_display = ["environment", "template", "time_zone", "assignee", "enabled"]


@admin.register(MaintenanceChecklist)
class MaintenanceChecklistAdmin(ReadOnlyAdmin):
    list_display = ["plan", "cadence", "period_start", "due_at", "completed_at"]
    list_filter = ["cadence"]
