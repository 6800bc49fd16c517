"""URLs of the insights pages, under /insights/."""

from django.urls import path

from apps.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.insights_page, name="page"),
    path("export.csv", views.insights_csv, name="csv"),
    path("services/<int:pk>/strip/", views.service_strip, name="service-strip"),
    path(
        "releases/<int:pk>/delivery/", views.release_delivery, name="release-delivery"
    ),
]
