"""The probe panel's endpoints on a release (namespace probes), and the
environments' probe configuration pages (namespace catalog, under
/environments/, as they were when catalog served them)."""

from django.urls import path

from apps.probes import views

app_name = "probes"

urlpatterns = [
    path("releases/<int:pk>/probes/", views.panel, name="panel"),
    path("releases/<int:pk>/probes/run/", views.run, name="run"),
    path("probe-results/<int:pk>/", views.result_observed, name="result"),
]

# Included by config/urls.py as the "catalog" namespace: the URL names and
# paths of these pages did not change when they moved here from catalog.
environment_urlpatterns = [
    path("", views.environment_list, name="environments"),
    path("<int:pk>/", views.environment_detail, name="environment"),
    path(
        "<int:environment_pk>/probes/new/",
        views.probe_config_edit,
        name="probe-new",
    ),
    path("probes/<int:pk>/", views.probe_config_edit, name="probe-edit"),
    path("probes/<int:pk>/test/", views.probe_config_test, name="probe-test"),
]
