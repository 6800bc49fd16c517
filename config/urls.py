"""URL configuration: pages, API, admin and the app's own health endpoints."""

from django.contrib import admin
from django.urls import include, path

from apps.core import views as core_views
from apps.incidents.api.views import IncidentWebhookView
from apps.integrations import views as integrations_views
from apps.probes.urls import environment_urlpatterns
from apps.records.urls import deployment_urlpatterns

urlpatterns = [
    # First: Django tries the patterns in order, and pipelines poll the API
    # (the readiness answer) far more often than people load pages. No page
    # path starts with api/, so the order changes no match.
    path("api/", include("config.api")),
    path("", include("apps.readiness.urls")),
    path("", include("apps.signoffs.urls")),
    path("", include("apps.probes.urls")),
    path("templates/", include("apps.checklists.urls")),
    path("environments/", include((environment_urlpatterns, "catalog"))),
    path("accounts/", include("apps.accounts.urls")),
    path("oidc/", include("apps.accounts.sso.urls")),
    path("catalog/", include("apps.catalog.urls")),
    path("contacts/", include("apps.contacts.urls")),
    path("records/", include("apps.records.urls")),
    path("", include((deployment_urlpatterns, "deployments"))),
    path("webhooks/", include("apps.notifications.urls")),
    path("monitoring/", include("apps.monitoring.urls")),
    path("maintenance/", include("apps.maintenance.urls")),
    path("oncall/", include("apps.oncall.urls")),
    path("policy/", include("apps.policy.urls")),
    path("integrations/", include("apps.integrations.urls")),
    path("incidents/", include("apps.incidents.urls")),
    path("insights/", include("apps.insights.urls")),
    path(
        "integrations/incidents/",
        IncidentWebhookView.as_view(),
        name="integrations-incidents",
    ),
    path("admin/", admin.site.urls),
    path("health/", core_views.health, name="health"),
    path("ready/", core_views.ready, name="ready"),
    path("metrics", core_views.metrics, name="metrics"),
    path(
        ".well-known/shipshape-attestation-key",
        integrations_views.attestation_key,
        name="attestation-key",
    ),
]

# A database outage answers 503 (page or JSON), not a 500 traceback.
handler500 = "apps.core.errors.server_error"
