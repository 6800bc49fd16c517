"""Sign-off endpoints of a release, and who may sign each role of a team."""

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
    path("teams/<int:pk>/signers/", views.signers_page, name="signers"),
    path(
        "teams/<int:pk>/signers/roles/<slug:role_key>/",
        views.signers_role,
        name="signers-role",
    ),
    path("teams/<int:pk>/signoff-groups/", views.group_create, name="group-create"),
    path("signoff-groups/<int:pk>/rename/", views.group_rename, name="group-rename"),
    path("signoff-groups/<int:pk>/delete/", views.group_delete, name="group-delete"),
    path(
        "signoff-groups/<int:pk>/members/",
        views.group_member_add,
        name="group-member-add",
    ),
    path(
        "signoff-groups/<int:pk>/members/<int:user_id>/remove/",
        views.group_member_remove,
        name="group-member-remove",
    ),
]
