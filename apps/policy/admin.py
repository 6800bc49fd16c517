"""Admin for the readiness policy: read-only.

Waivers need four eyes and windows a schedule: the API and pages do that.
"""

from django.contrib import admin

from apps.audit.admin_mixins import ReadOnlyAdmin
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationWindow,
    Waiver,
)


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyAdmin):
    list_display = ["release", "label", "requested_by", "approved_by", "expires_at"]
    list_select_related = ["release", "requested_by", "approved_by"]


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyAdmin):
    list_display = ["name", "environment", "cron", "time_zone", "starts_at", "ends_at"]


@admin.register(EmergencyException)
class EmergencyExceptionAdmin(ReadOnlyAdmin):
    list_display = ["release", "reason", "first_approver", "second_approver"]


@admin.register(VerificationWindow)
class VerificationWindowAdmin(ReadOnlyAdmin):
    list_display = ["release", "outcome", "measurements", "failures", "started_at"]
