"""Webhook and email preference pages."""

from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("email/", views.email_preferences, name="email-preferences"),
    path(
        "deliveries/<int:attempt_id>/resend/",
        views.delivery_resend,
        name="delivery-resend",
    ),
]
