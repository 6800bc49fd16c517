"""The provider's URLs: OpenID Connect under /o/, the sign-in form, /_test/ control."""

from django.urls import include, path
from oauth2_provider import urls as oauth2_urls
from oauth2_provider import views as oauth2_views

from tests.oidc_provider.idp import views

# Only the endpoints an OpenID relying party uses; the issuer is <origin>/o.
oidc_patterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    *oauth2_urls.oidc_urlpatterns,
]

urlpatterns = [
    path("o/", include((oidc_patterns, "oauth2_provider"))),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("_test/users", views.users),
    path("_test/clients", views.clients),
    path("_test/keys/rotate", views.key_rotate),
    path("_test/fault", views.fault),
]
