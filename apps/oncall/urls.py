"""On-call pages."""

from django.urls import path

from apps.oncall import views

app_name = "oncall"

urlpatterns = [
    path("<slug:slug>/", views.team_page, name="team"),
    path("<slug:slug>/overrides/", views.override_add, name="override-add"),
]
