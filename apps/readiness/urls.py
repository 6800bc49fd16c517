"""Release pages and their htmx endpoints.

The namespace stays "releases": URL names and paths did not change when the
pages moved here from apps.releases, which has no pages of its own.
"""

from django.urls import path

from apps.readiness import views

app_name = "releases"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("history/", views.history, name="history"),
    path("releases/new/", views.release_new, name="new"),
    path("releases/<int:pk>/", views.detail, name="detail"),
    path("releases/<int:pk>/status/", views.transition, name="transition"),
    path("items/<int:item_id>/", views.item_row, name="item"),
    path("items/<int:item_id>/state/", views.item_state, name="item-state"),
]
