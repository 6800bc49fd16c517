"""System checks of single sign-on, run by `manage.py check --deploy`."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from apps.accounts.sso import rolemap


@register("shipshape", deploy=True)
def role_map_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A role map that cannot be read refuses every sign-in: say so before then."""
    if not (settings.OIDC_ISSUER and settings.OIDC_ROLE_MAP):
        return []
    try:
        rolemap.load(settings.OIDC_ROLE_MAP)
    except rolemap.RoleMapError as error:
        return [
            Error(
                f"OIDC_ROLE_MAP: {error}",
                hint="Fix the file; until then every sign-in through the "
                "provider is refused. `manage.py oidc_check` shows the map.",
                id="shipshape.E101",
            )
        ]
    return []
