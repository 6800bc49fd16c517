"""System checks of Shipshape's own settings, run by `manage.py check --deploy`."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

W001 = Warning(
    "SITE_URL is not set, so notification emails and webhook payloads carry "
    "relative links that open nothing.",
    hint="Set SITE_URL to the address people reach Shipshape at, e.g. "
    "https://shipshape.example.com.",
    id="shipshape.W001",
)


@register("shipshape", deploy=True)
def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [] if settings.SITE_URL else [W001]
