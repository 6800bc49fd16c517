"""The REST API: routes under /api/v1/, the OpenAPI schema and docs, error shapes."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework import exceptions, routers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.accounts.api import schema as _token_schema  # noqa: F401 (registers)
from apps.accounts.api.views import MeView, SignOffGroupViewSet, TeamMemberViewSet
from apps.catalog.api.views import EnvironmentViewSet, ServiceViewSet
from apps.checklists.api.views import SignOffEligibilityViewSet, TemplateViewSet
from apps.contacts.api.views import ContactViewSet, SupportResourceViewSet
from apps.incidents.api.views import IncidentViewSet
from apps.insights.api.views import DeliveryMetricsView
from apps.integrations.api import schema as _ci_schema  # noqa: F401 (registers)
from apps.integrations.api.views import (
    AttestationView,
    CiGateView,
    CiReleaseView,
    GitHubMappingViewSet,
    GitLabMappingViewSet,
    ReadinessLookupView,
)
from apps.maintenance.api.views import ChecklistViewSet, ItemViewSet, PlanViewSet
from apps.monitoring.api.views import ProbeScheduleViewSet
from apps.notifications.api.views import (
    EmailPreferenceView,
    WebhookDeliveryViewSet,
    WebhookViewSet,
)
from apps.oncall.api.views import OverrideViewSet, RotationViewSet
from apps.policy.api.views import (
    EmergencyExceptionViewSet,
    FreezeWindowViewSet,
    VerificationSettingsViewSet,
    VerificationWindowViewSet,
    WaiverViewSet,
)
from apps.probes.api.views import (
    ProbeConfigViewSet,
    ProbeResultViewSet,
    ProbeRunViewSet,
)
from apps.readiness.api.views import ReleaseReadinessViewSet
from apps.records.api.views import AuditEventViewSet, DeploymentViewSet
from apps.releases.api.views import ReleaseItemViewSet, ReleaseViewSet
from apps.signoffs.api.views import SignOffViewSet


def _messages(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus services' ValidationError as a 400 naming each field.

    Services raise Django's ValidationError and PermissionDenied; the pages show
    them in forms, and here they become the same JSON as serializer errors.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_messages(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DataError):
        # A value the form layer accepted but PostgreSQL refuses, e.g. a time
        # zone offset beyond ±15:59 in a date filter: the caller's mistake, a 400.
        exc = exceptions.ParseError(
            "A value is out of the range the database accepts "
            "(a date, number or time zone offset)."
        )
    return exception_handler(exc, context)


router = routers.DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("services", ServiceViewSet, basename="service")
router.register("environments", EnvironmentViewSet, basename="environment")
router.register("releases", ReleaseViewSet, basename="release")
router.register("items", ReleaseItemViewSet, basename="release-item")
router.register("signoffs", SignOffViewSet, basename="signoff")
router.register("probe-configs", ProbeConfigViewSet, basename="probe-config")
router.register("probe-runs", ProbeRunViewSet, basename="probe-run")
router.register("probe-results", ProbeResultViewSet, basename="probe-result")
router.register("contacts", ContactViewSet, basename="contact")
router.register(
    "support-resources", SupportResourceViewSet, basename="support-resource"
)
router.register("templates", TemplateViewSet, basename="template")
router.register("signoff-groups", SignOffGroupViewSet, basename="signoff-group")
router.register("team-members", TeamMemberViewSet, basename="team-member")
router.register(
    "signoff-eligibility", SignOffEligibilityViewSet, basename="signoff-eligibility"
)
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("waivers", WaiverViewSet, basename="waiver")
router.register("oncall-rotations", RotationViewSet, basename="oncall-rotation")
router.register("oncall-overrides", OverrideViewSet, basename="oncall-override")
router.register("maintenance-plans", PlanViewSet, basename="maintenance-plan")
router.register(
    "maintenance-checklists", ChecklistViewSet, basename="maintenance-checklist"
)
router.register("maintenance-items", ItemViewSet, basename="maintenance-item")
router.register("probe-schedules", ProbeScheduleViewSet, basename="probe-schedule")
router.register("freeze-windows", FreezeWindowViewSet, basename="freeze-window")
router.register(
    "integrations/github/mappings", GitHubMappingViewSet, basename="github-mapping"
)
router.register(
    "integrations/gitlab/mappings", GitLabMappingViewSet, basename="gitlab-mapping"
)
router.register(
    "webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery"
)
router.register(
    "emergency-exceptions", EmergencyExceptionViewSet, basename="emergency-exception"
)
router.register(
    "verification-windows", VerificationWindowViewSet, basename="verification-window"
)
router.register(
    "verification-settings",
    VerificationSettingsViewSet,
    basename="verification-settings",
)

# A release's readiness is served by apps.readiness, above the release resource;
# its own router keeps the route's name (release-readiness) and path.
readiness_router = routers.DefaultRouter(trailing_slash=True)
readiness_router.include_root_view = False
readiness_router.register("releases", ReleaseReadinessViewSet, basename="release")

app_name = "api"

urlpatterns = [
    # The polled answers first: resolving a path tries every pattern before its
    # own, and the router's resources add about 180 (1 ms of matching for the
    # last of them). No resource's route matches these paths.
    # The lookup is one plain pattern; the readiness router adds several.
    path("v1/readiness/", ReadinessLookupView.as_view(), name="readiness-lookup"),
    path("v1/", include(readiness_router.urls)),
    path("v1/integrations/ci/gate/", CiGateView.as_view(), name="ci-gate"),
    path("v1/integrations/ci/releases/", CiReleaseView.as_view(), name="ci-release"),
    path("v1/", include(router.urls)),
    path("v1/me/", MeView.as_view(), name="me"),
    path(
        "v1/releases/<int:pk>/attestation/",
        AttestationView.as_view(),
        name="release-attestation",
    ),
    path(
        "v1/me/email-preferences/",
        EmailPreferenceView.as_view(),
        name="email-preferences",
    ),
    path(
        "v1/metrics/delivery/", DeliveryMetricsView.as_view(), name="metrics-delivery"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"
    ),
]
