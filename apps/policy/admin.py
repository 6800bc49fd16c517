"""Admin for the readiness policy: read-only; every write goes through the services."""

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin_mixins import TeamScopedAdmin
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationWindow,
    Waiver,
)


class ReadOnlyPolicyAdmin(TeamScopedAdmin):
    """Waivers need four eyes and windows a schedule: the API and pages do that."""

    write_action = "override"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyPolicyAdmin):
    team_path = "release__team_id"
    list_display = ["release", "label", "requested_by", "approved_by", "expires_at"]
    list_select_related = ["release", "requested_by", "approved_by"]


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyPolicyAdmin):
    team_path = "environment__service__team_id"
    list_display = ["name", "environment", "cron", "time_zone", "starts_at", "ends_at"]


@admin.register(EmergencyException)
class EmergencyExceptionAdmin(ReadOnlyPolicyAdmin):
    team_path = "release__team_id"
    list_display = ["release", "reason", "first_approver", "second_approver"]


@admin.register(VerificationWindow)
class VerificationWindowAdmin(ReadOnlyPolicyAdmin):
    team_path = "release__team_id"
    list_display = ["release", "outcome", "measurements", "failures", "started_at"]
