"""On-call pages."""

from django.urls import path

from apps.oncall import views

app_name = "oncall"

urlpatterns = [
    path("<slug:slug>/", views.team_page, name="team"),
    path("<slug:slug>/rotation/", views.rotation_edit, name="rotation"),
    path("<slug:slug>/rotation/delete/", views.rotation_delete, name="rotation-delete"),
    path("<slug:slug>/overrides/", views.override_add, name="override-add"),
    path("overrides/<int:pk>/delete/", views.override_delete, name="override-delete"),
]
