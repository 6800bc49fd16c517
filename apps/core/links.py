"""Absolute links to the app's pages, for messages read outside it (email, webhooks)."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """The page at `path` under SITE_URL; the path itself while SITE_URL is unset."""
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else path
