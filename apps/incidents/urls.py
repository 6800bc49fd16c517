"""URLs of the incident pages, under /incidents/."""

from django.urls import path

from apps.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:pk>/", views.incident_edit, name="edit"),
]
