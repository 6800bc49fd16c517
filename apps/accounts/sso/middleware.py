"""The session refresh: every OIDC_REFRESH_SECONDS a signed-in person's next page
load goes through the provider silently (prompt=none), which re-applies the role
map, or signs them out if the provider no longer knows them.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.functional import cached_property
from mozilla_django_oidc.middleware import SessionRefresh

from apps.accounts import sso
from apps.accounts.sso import provider
from apps.accounts.sso.views import SESSION_SSO

log = logging.getLogger(__name__)


class SsoSessionRefresh(SessionRefresh):
    """mozilla-django-oidc's SessionRefresh, for sessions that signed in through
    the provider only, and never for an htmx request (a fragment cannot follow
    a redirect to the provider; the next full page does)."""

    get_settings = staticmethod(provider.library_setting)

    def __init__(self, get_response) -> None:
        # The library reads the endpoints here, at start-up; they are read per
        # refresh instead, from the cached discovery document.
        super(SessionRefresh, self).__init__(get_response)
        self.OIDC_STATE_SIZE = 32
        self.OIDC_NONCE_SIZE = 32
        self.OIDC_USE_NONCE = True
        self.OIDC_EXEMPT_URLS = []
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

    @cached_property
    def exempt_urls(self) -> set[str]:
        return {
            reverse("oidc_authentication_init"),
            reverse("oidc_authentication_callback"),
            reverse("accounts:logout"),
        }

    def is_refreshable_url(self, request) -> bool:
        return (
            sso.enabled()
            and request.session.get(SESSION_SSO, False)
            and request.headers.get("HX-Request") != "true"
            and super().is_refreshable_url(request)
        )

    def process_request(self, request):
        if not self.is_refreshable_url(request):
            return None
        try:
            self.OIDC_OP_AUTHORIZATION_ENDPOINT = self.get_settings(
                "OIDC_OP_AUTHORIZATION_ENDPOINT"
            )
        except Exception as error:  # noqa: BLE001 (pages stay up without the provider)
            log.warning("session refresh skipped, provider unavailable: %s", error)
            return None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_SCOPES = settings.OIDC_SCOPES
        return super().process_request(request)
