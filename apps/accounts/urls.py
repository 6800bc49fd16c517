"""Sign in (protected against guessing, see lockout.py; or through the provider,
see sso/) and sign out."""

from django.urls import path

from apps.accounts import lockout, views

app_name = "accounts"

urlpatterns = [
    path("login/", lockout.LoginView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="token-revoke"),
]
