"""Webhooks deploy platforms call, and the GitHub mappings page."""

from django.urls import path

from apps.integrations import views

app_name = "integrations"

urlpatterns = [
    path("github/webhook", views.github_webhook, name="github-webhook"),
    path("flagger/gate", views.flagger_gate, name="flagger-gate"),
    path("gitlab/webhook", views.gitlab_webhook, name="gitlab-webhook"),
    path("gitlab/status-check", views.gitlab_status_check, name="gitlab-status-check"),
    path("github/", views.github_mappings, name="github-mappings"),
    path("github/mappings/", views.github_mapping_create, name="github-mapping-create"),
    path(
        "github/mappings/<int:pk>/delete/",
        views.github_mapping_delete,
        name="github-mapping-delete",
    ),
    path("gitlab/", views.gitlab_mappings, name="gitlab-mappings"),
    path("gitlab/mappings/", views.gitlab_mapping_create, name="gitlab-mapping-create"),
    path(
        "gitlab/mappings/<int:pk>/token/",
        views.gitlab_mapping_token,
        name="gitlab-mapping-token",
    ),
    path(
        "gitlab/mappings/<int:pk>/delete/",
        views.gitlab_mapping_delete,
        name="gitlab-mapping-delete",
    ),
]
