"""URL configuration: pages, API, admin and the app's own health endpoints."""

from django.contrib import admin
from django.urls import include, path

from apps.core import views as core_views

urlpatterns = [
    path("", include("apps.releases.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("admin/", admin.site.urls),
    path("health/", core_views.health, name="health"),
]
