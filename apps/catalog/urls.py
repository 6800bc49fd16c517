"""Team settings: services and environments (namespace services, under /catalog/)."""

from django.urls import path

from apps.catalog import views

app_name = "services"

urlpatterns = [
    path("teams/<slug:slug>/", views.team_services, name="team"),
    path("teams/<slug:slug>/services/new/", views.service_new, name="service-new"),
    path("services/<int:pk>/edit/", views.service_edit, name="service-edit"),
    path(
        "services/<int:pk>/environments/new/",
        views.environment_new,
        name="environment-new",
    ),
    path(
        "environments/<int:pk>/edit/", views.environment_edit, name="environment-edit"
    ),
]
