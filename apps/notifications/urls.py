"""Webhook and email preference pages."""

from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("new/", views.webhook_new, name="webhook-new"),
    path("<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("email/", views.email_preferences, name="email-preferences"),
    path(
        "deliveries/<int:attempt_id>/resend/",
        views.delivery_resend,
        name="delivery-resend",
    ),
]
