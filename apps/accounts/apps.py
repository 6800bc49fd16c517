"""Accounts: teams, memberships with roles, and permissions."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Teams and roles"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from apps.accounts import (
            checked,
            checks,  # noqa: F401 (registers the checks)
        )

        # A token check reused by this process (apps.accounts.checked) ends
        # with any write to what it read, through any code path: the admin, a
        # service, a cascade. Not an event between apps: a cache of this app's
        # own rows, like the querysets' update().
        for model in (
            settings.AUTH_USER_MODEL,
            "accounts.ApiToken",
            "accounts.Membership",
            "accounts.OidcIdentity",
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    checked.forget,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"token-checks-{signal is post_save}-{model}",
                )
