"""Policy endpoints of the release page."""

from django.urls import path

from apps.policy import views

app_name = "policy"

urlpatterns = [
    path(
        "verification-windows/<int:pk>/decide/",
        views.verification_decide,
        name="verification-decide",
    ),
]
