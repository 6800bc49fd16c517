"""The provider's claims (profile, e-mail, groups, auth_time, acr, amr) and faults."""

import time
from collections.abc import Callable

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from tests.oidc_provider.idp import faults
from tests.oidc_provider.idp.models import Authentication

Claim = Callable[[Request], object]


def _groups(request: Request) -> list[str]:
    return sorted(request.user.groups.values_list("name", flat=True))


class Validator(OAuth2Validator):
    """django-oauth-toolkit's validator with the claims an SSO relying party reads."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "groups"}

    # The one-argument form makes the claims request-agnostic, so discovery lists
    # them in claims_supported; each is still computed per request, at issue time.
    def get_additional_claims(self) -> dict[str, Claim]:
        return {
            "name": lambda request: request.user.get_full_name(),
            "given_name": lambda request: request.user.first_name,
            "family_name": lambda request: request.user.last_name,
            "preferred_username": lambda request: request.user.get_username(),
            "email": lambda request: request.user.email,
            "email_verified": lambda request: bool(request.user.email),
            "groups": _groups,
        }

    # oauthlib asks both for prompt=none. The authorization view has already
    # answered login_required when there is no fresh session, and clients skip
    # consent, so a silent sign-in that gets this far may go ahead.
    def validate_silent_login(self, request: Request) -> bool:
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        return True

    def _create_authorization_code(self, request: Request, code: dict, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        Authentication.objects.create(
            grant=grant,
            auth_time=getattr(request, "auth_time", None) or int(time.time()),
            acr=getattr(request, "acr", ""),
            amr=getattr(request, "amr", []),
        )
        return grant

    def get_id_token_dictionary(self, token, token_handler, request: Request):
        """Use the sign-in recorded with the code; django-oauth-toolkit's own
        auth_time is the user's last_login, which any other session moves."""
        claims, expiration_time = super().get_id_token_dictionary(
            token, token_handler, request
        )
        authentication = None
        if request.code:
            authentication = Authentication.objects.filter(
                grant__code=request.code, grant__application=request.client
            ).first()
        if authentication is not None:
            claims["auth_time"] = authentication.auth_time
            if authentication.acr:
                claims["acr"] = authentication.acr
            if authentication.amr:
                claims["amr"] = authentication.amr
        return claims, expiration_time

    def finalize_id_token(
        self, id_token, token, token_handler, request: Request
    ) -> str:
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        return faults.spoil_if_armed(signed, key=request.client.jwk_key)
