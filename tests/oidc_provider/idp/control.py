"""The control surface's writes: users and groups, clients, keys and faults.

Only this test provider has these; tests reach them through /_test/ (see views.py).
Bad input raises ControlError, which the view turns into a 400 with the reason.
"""

import secrets

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_id_token_model,
    get_refresh_token_model,
)

from tests.oidc_provider.idp import faults, keys


class ControlError(Exception):
    """A control request the provider refuses; the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _strings(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError(f"{field} must be a list of strings")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ControlError(f"{field} must be a string")
    return value


def _user_state(user: User) -> dict[str, object]:
    return {
        "sub": str(user.pk),
        "username": user.username,
        "email": user.email,
        "name": user.get_full_name(),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "active": user.is_active,
    }


@transaction.atomic
def user_put(
    *,
    username: object,
    password: object = None,
    email: object = None,
    name: object = None,
    groups: object = None,
    active: object = None,
) -> dict[str, object]:
    """Create a user, or change the given fields of an existing one.

    A new user needs a password. Deactivating also revokes the user's tokens, as
    identity providers do, so userinfo answers 401 for them from then on.
    """
    username = _text(username, "username").strip()
    if not username:
        raise ControlError("username must not be empty")
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ControlError(f"a new user needs a password: {username}")
        user = User(username=username)
    if password is not None:
        user.set_password(_text(password, "password"))
    if email is not None:
        user.email = _text(email, "email")
    if name is not None:
        user.first_name, _, user.last_name = _text(name, "name").strip().partition(" ")
    if active is not None:
        if not isinstance(active, bool):
            raise ControlError("active must be true or false")
        user.is_active = active
    user.save()
    if groups is not None:
        names = _strings(groups, "groups")
        user.groups.set([Group.objects.get_or_create(name=n)[0] for n in names])
    if not user.is_active:
        for model in (
            get_refresh_token_model(),
            get_access_token_model(),
            get_id_token_model(),
        ):
            model.objects.filter(user=user).delete()
    return _user_state(user)


@transaction.atomic
def client_put(
    *,
    redirect_uris: object,
    post_logout_redirect_uris: object = (),
    client_id: object = None,
    client_secret: object = None,
    name: object = None,
) -> dict[str, object]:
    """Register a confidential RS256 client for the code flow, or replace one.

    The secret is set anew each time (given, or made here) and returned in clear,
    because the provider stores only its hash. Consent is skipped, as for an
    organisation's own applications.
    """
    Application = get_application_model()
    client_id = _text(client_id, "client_id") if client_id else secrets.token_hex(8)
    secret = _text(client_secret, "client_secret") if client_secret else None
    secret = secret or secrets.token_urlsafe(32)
    redirects = _strings(redirect_uris, "redirect_uris")
    logouts = _strings(list(post_logout_redirect_uris), "post_logout_redirect_uris")
    if not redirects:
        raise ControlError("redirect_uris must name at least one URI")
    application = Application.objects.filter(client_id=client_id).first()
    application = application or Application(client_id=client_id)
    application.name = _text(name, "name") if name else client_id
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    application.skip_authorization = True
    application.redirect_uris = " ".join(redirects)
    application.post_logout_redirect_uris = " ".join(logouts)
    application.hash_client_secret = True
    application.client_secret = secret
    try:
        application.clean()
    except ValidationError as error:
        raise ControlError("; ".join(error.messages)) from error
    application.save()
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": redirects,
        "post_logout_redirect_uris": logouts,
    }


def key_rotate(*, keep_old: object = False) -> dict[str, object]:
    """Sign with a new key; by default the old kid leaves the JWKS at once."""
    if not isinstance(keep_old, bool):
        raise ControlError("keep_old must be true or false")
    return keys.rotate(keep_old=keep_old)


def fault_set(*, name: object) -> dict[str, object]:
    """Arm a fault for the next ID token, or (name null) disarm and report the
    armed one that no token used."""
    if name is None:
        return {"unused": faults.disarm()}
    try:
        faults.arm(_text(name, "name"))
    except ValueError as error:
        raise ControlError(str(error)) from error
    return {"armed": name}
