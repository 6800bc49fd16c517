"""Team settings: contacts and support resources (namespace contacts)."""

from django.urls import path

from apps.contacts import views

app_name = "contacts"

urlpatterns = [
    path("teams/<slug:slug>/", views.team_contacts, name="team"),
    path("teams/<slug:slug>/contacts/new/", views.contact_new, name="contact-new"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("teams/<slug:slug>/resources/new/", views.resource_new, name="resource-new"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("resources/<int:pk>/delete/", views.resource_delete, name="resource-delete"),
]
