"""Keyless CI in the API: a job's OIDC ID token as a Bearer token.

A verified token whose claims a lead mapped authenticates as the lead who made
the mapping (releases are created in their name, as for GitHub's protection
rule), with the job itself as `request.auth` (a CiCaller). Such a caller may
only ask the gate and open the release of the environment it is mapped to:
ALLOWED below; every other endpoint, and another environment's release, is a
403. Shipshape API tokens (shp_…) are no JWT and pass on to the next class.
"""

from typing import Any

from django.contrib.auth.models import User
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.integrations import ci_oidc
from apps.integrations.services import ci
from apps.releases.models import Release

# The endpoints a CI job may call, with their methods.
ALLOWED = {
    "api:ci-gate": ("GET", "HEAD"),
    "api:ci-release": ("POST",),
    "api:release-readiness": ("GET", "HEAD"),
    "api:readiness-lookup": ("GET", "HEAD"),
}
REFUSAL = (
    "A CI job's ID token may only ask the gate and create its release "
    "(/api/v1/integrations/ci/gate/, /api/v1/integrations/ci/releases/, "
    "readiness of its mapped environment)."
)


class CiOidcAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <CI job ID token>`; see the module docstring."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ci.CiCaller] | None:
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"bearer":
            return None
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not ci_oidc.looks_like_jwt(token):
            return None
        try:
            claims = ci_oidc.verify(token)
            caller = ci.ci_caller_from_claims(claims)
        except (ci_oidc.TokenRefused, ci.CallerRefused) as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        user = caller.mapping.created_by
        if not user.is_active:
            raise exceptions.AuthenticationFailed(
                "The lead who made this mapping no longer has access to Shipshape."
            )
        _require_scope(request, caller)
        return user, caller

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _require_scope(request: Request, caller: ci.CiCaller) -> None:
    """403 unless the endpoint is one a CI job may call, about its own environment."""
    match = getattr(request._request, "resolver_match", None)
    name = match.view_name if match else ""
    if request.method not in ALLOWED.get(name, ()):
        raise exceptions.PermissionDenied(REFUSAL)
    mapping = caller.mapping
    if name == "api:release-readiness":
        pk = str(match.kwargs.get("pk", ""))
        mine = (
            pk.isdigit()
            and Release.objects.filter(
                pk=int(pk), environment_id=mapping.environment_id
            ).exists()
        )
    elif name == "api:readiness-lookup":
        params = request.query_params
        mine = _names(params.get("service", ""), mapping.service) and _names(
            params.get("environment", ""), mapping.environment
        )
    else:
        mine = True
    if not mine:
        raise exceptions.PermissionDenied(
            f"This job's token may only ask about {mapping.service.name} → "
            f"{mapping.environment.name}."
        )


def _names(value: str, row: Any) -> bool:
    """Whether a lookup parameter (an id or a name) names this row."""
    return value == str(row.pk) or value.lower() == row.name.lower()
