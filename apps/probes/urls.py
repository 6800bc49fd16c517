"""The probe panel's endpoints on a release."""

from django.urls import path

from apps.probes import views

app_name = "probes"

urlpatterns = [
    path("releases/<int:pk>/probes/", views.panel, name="panel"),
    path("releases/<int:pk>/probes/run/", views.run, name="run"),
    path("probe-results/<int:pk>/", views.result_observed, name="result"),
]
