"""Accounts: teams, memberships with roles, and permissions."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Teams and roles"

    def ready(self) -> None:
        from apps.accounts import checks  # noqa: F401 (registers the checks)
