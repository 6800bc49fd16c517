"""Sign in (protected against guessing, see lockout.py; or through the provider,
see sso/) and sign out; API tokens; team settings (teams.py)."""

from django.urls import path

from apps.accounts import lockout, teams, views

app_name = "accounts"

urlpatterns = [
    path("login/", lockout.LoginView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="token-revoke"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<slug:slug>/", teams.team_page, name="team"),
    path("teams/<slug:slug>/members/", teams.member_add, name="member-add"),
    path(
        "teams/<slug:slug>/members/<int:pk>/role/",
        teams.member_role,
        name="member-role",
    ),
    path(
        "teams/<slug:slug>/members/<int:pk>/remove/",
        teams.member_remove,
        name="member-remove",
    ),
]
