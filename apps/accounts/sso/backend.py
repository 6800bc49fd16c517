"""mozilla-django-oidc's authentication backend, made strict and bound to Shipshape.

The library's own token check verifies the signature and the nonce only; this
one also checks issuer, audience, expiry and algorithm (provider.py), finds the
user by issuer + subject, and applies the role map (services.py).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts import sso
from apps.accounts.signed_in import reused_user
from apps.accounts.sso import provider, services

log = logging.getLogger(__name__)


class SsoBackend(OIDCAuthenticationBackend):
    """Signs in the person the provider's callback vouches for, or nobody."""

    get_settings = staticmethod(provider.library_setting)

    def __init__(self, *args, **kwargs) -> None:
        # The library reads every endpoint here; Django builds a backend for
        # every request's session, so they are read lazily instead.
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 (the library's name)
        return self.get_settings("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return self.get_settings("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return self.get_settings("OIDC_OP_JWKS_ENDPOINT")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802
        return settings.OIDC_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:  # noqa: N802
        return settings.OIDC_CLIENT_SECRET

    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback passes a nonce; a password sign-in never reaches here.
        if request is None or "nonce" not in kwargs or not sso.enabled():
            return None
        issuer = request.GET.get("iss")
        if issuer is not None and issuer.rstrip("/") != settings.OIDC_ISSUER:
            # RFC 9207: the answer came from another issuer (mix-up attack).
            raise SuspiciousOperation("the authorization response names another issuer")
        return super().authenticate(request, **kwargs)

    def get_token(self, payload):
        answer = super().get_token(payload)
        self.request.sso_refresh_token = str(answer.get("refresh_token") or "")
        return answer

    def verify_token(self, token, **kwargs):
        return provider.verify_id_token(token, nonce=kwargs.get("nonce"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub")) != str(payload["sub"]):
                raise SuspiciousOperation("userinfo names another subject")
            # Userinfo is the fresher source of profile and groups; who signed
            # in, and when and how, stay the ID token's.
            claims.update(userinfo)
            for name in ("iss", "sub", "aud", "auth_time", "acr", "amr", "nonce"):
                if name in payload:
                    claims[name] = payload[name]
        self.request.sso_claims = claims
        try:
            return services.sso_sign_in(
                issuer=settings.OIDC_ISSUER,
                claims=claims,
                refresh_token=getattr(self.request, "sso_refresh_token", ""),
            )
        except services.SignInRefused as refused:
            log.info("single sign-on refused subject %s: %s", claims["sub"], refused)
            self.request.sso_refused = refused.reason
            return None

    def get_user(self, user_id):
        """The session's user, reused for a moment (apps.accounts.signed_in)."""
        return reused_user(user_id, lambda: self._read_user(user_id))

    def _read_user(self, user_id):
        try:
            return self.UserModel.objects.get(pk=user_id)
        except self.UserModel.DoesNotExist:
            return None
