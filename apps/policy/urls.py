"""The policy's pages: waivers and emergency exceptions of a release, freeze
windows of an environment, a decision on a verification window."""

from django.urls import path

from apps.policy import views

app_name = "policy"

urlpatterns = [
    path(
        "verification-windows/<int:pk>/decide/",
        views.verification_decide,
        name="verification-decide",
    ),
    path("releases/<int:pk>/policy/", views.panel, name="panel"),
    path("releases/<int:pk>/waivers/new/", views.waiver_request, name="waiver-request"),
    path("waivers/<int:pk>/approve/", views.waiver_approve, name="waiver-approve"),
    path("waivers/<int:pk>/decline/", views.waiver_decline, name="waiver-decline"),
    path(
        "releases/<int:pk>/exceptions/new/",
        views.exception_request,
        name="exception-request",
    ),
    path(
        "exceptions/<int:pk>/approve/",
        views.exception_approve,
        name="exception-approve",
    ),
    path("environments/<int:pk>/freezes/", views.freeze_list, name="freezes"),
    path(
        "environments/<int:environment_pk>/freezes/new/",
        views.freeze_edit,
        name="freeze-new",
    ),
    path(
        "environments/<int:pk>/freezes/preview/",
        views.freeze_preview,
        name="freeze-preview",
    ),
    path(
        "environments/<int:pk>/verification/",
        views.verification_settings,
        name="verification-settings",
    ),
    path("freezes/<int:pk>/", views.freeze_edit, name="freeze-edit"),
    path("freezes/<int:pk>/delete/", views.freeze_delete, name="freeze-delete"),
]
