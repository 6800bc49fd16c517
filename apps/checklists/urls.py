"""Checklist template pages."""

from django.urls import path

from apps.checklists import views

app_name = "checklists"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("import/", views.template_import, name="import"),
    path("<int:pk>/", views.template_detail, name="detail"),
    path("<int:pk>/export/", views.template_export, name="export"),
    path("<int:pk>/options/", views.template_options, name="options"),
]
