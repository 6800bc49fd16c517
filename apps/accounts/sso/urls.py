"""/oidc/: the provider's way in and back (names are mozilla-django-oidc's)."""

from django.urls import path

from apps.accounts import views as account_views
from apps.accounts.sso import views

urlpatterns = [
    path(
        "authenticate/",
        views.SsoAuthenticate.as_view(),
        name="oidc_authentication_init",
    ),
    path("callback/", views.SsoCallback.as_view(), name="oidc_authentication_callback"),
    path("continue/<str:token>/", account_views.sso_continue, name="sso-continue"),
]
