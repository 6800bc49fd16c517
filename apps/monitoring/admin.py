"""Admin views of probe schedules and checks (read-only: services write)."""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.monitoring.models import EnvironmentCheck, ProbeSchedule


@admin.register(ProbeSchedule)
class ProbeScheduleAdmin(ReadOnlyAdmin):
    list_display = ["config", "kind", "enabled", "next_run_at", "last_status"]
    list_filter = ["kind", "enabled"]


@admin.register(EnvironmentCheck)
class EnvironmentCheckAdmin(ReadOnlyAdmin):
    list_display = ["config", "environment", "scheduled_for", "status"]
    list_filter = ["status"]
