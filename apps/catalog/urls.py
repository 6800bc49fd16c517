"""Environment settings pages."""

from django.urls import path

from apps.catalog import views

app_name = "catalog"

urlpatterns = [
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
