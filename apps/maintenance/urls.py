"""Maintenance pages."""

from django.urls import path

from apps.maintenance import views

app_name = "maintenance"

urlpatterns = [
    path("environments/<int:pk>/", views.environment_page, name="environment"),
    path("items/<int:pk>/state/", views.item_state, name="item-state"),
]
