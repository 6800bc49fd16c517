"""Maintenance pages."""

from django.urls import path

from apps.maintenance import views

app_name = "maintenance"

urlpatterns = [
    path("environments/<int:pk>/", views.environment_page, name="environment"),
    path("environments/<int:pk>/plan/", views.plan_edit, name="plan"),
    path("environments/<int:pk>/plan/delete/", views.plan_delete, name="plan-delete"),
    path("items/<int:pk>/state/", views.item_state, name="item-state"),
]
