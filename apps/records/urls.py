"""Deployment records and audit exports; what is deployed where."""

from django.urls import path

from apps.records import views

app_name = "records"

urlpatterns = [
    path("releases/<int:pk>/", views.record, name="record"),
    path("releases/<int:pk>/record.json", views.record_json, name="record-json"),
    path("releases/<int:pk>/record.csv", views.record_csv, name="record-csv"),
    path("audit-events/", views.audit_export, name="audit-export"),
    path("audit/", views.audit_log, name="audit-log"),
]

# What is deployed where, at the top level (/deployments/, /services/<id>/):
# config/urls.py includes these as the "deployments" namespace.
deployment_urlpatterns = [
    path("deployments/", views.deployments_overview, name="overview"),
    path("services/<int:pk>/", views.service, name="service"),
]
