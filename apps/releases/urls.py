"""Release pages."""

from django.urls import path

from apps.releases import views

app_name = "releases"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("releases/<int:pk>/", views.detail, name="detail"),
    path("items/<int:item_id>/state/", views.item_state, name="item-state"),
]
