"""Scheduled upkeep of accounts: the single sign-on token check."""

from celery import shared_task

from apps.accounts.sso import sweep


@shared_task
def sso_token_check() -> None:
    """Ask the provider about people who hold API tokens (accounts/sso/sweep.py)."""
    sweep.sso_token_check()
