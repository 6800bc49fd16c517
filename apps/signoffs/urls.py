"""Sign-off endpoints of a release."""

from django.urls import path

from apps.signoffs import views

app_name = "signoffs"

urlpatterns = [
    path("releases/<int:pk>/signoffs/", views.record, name="record"),
    path(
        "releases/<int:pk>/signoffs/request/",
        views.request_signoff,
        name="request",
    ),
]
