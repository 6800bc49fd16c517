"""Accounts: teams, memberships with roles, and permissions."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Teams and roles"
