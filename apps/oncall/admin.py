"""Admin views of rotations and overrides (read-only: services write)."""

from django.contrib import admin

from apps.oncall.models import Override, Rotation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rotation)
class RotationAdmin(ReadOnlyAdmin):
    list_display = ["team", "time_zone", "handover_weekday", "handover_time"]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["rotation", "user", "starts_at", "ends_at", "reason"]
