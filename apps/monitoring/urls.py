"""Monitoring pages."""

from django.urls import path

from apps.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("environments/<int:pk>/", views.environment_page, name="environment"),
    path("probes/<int:config_id>/schedule/", views.schedule_save, name="schedule"),
]
