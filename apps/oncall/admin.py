"""Admin views of rotations and overrides (read-only: services write)."""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.oncall.models import Override, Rotation


@admin.register(Rotation)
class RotationAdmin(ReadOnlyAdmin):
    list_display = ["team", "time_zone", "handover_weekday", "handover_time"]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["rotation", "user", "starts_at", "ends_at", "reason"]
