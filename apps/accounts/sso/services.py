"""Signing in through the provider: the identity, the user, the memberships.

sso_sign_in() runs at every sign-in and every session refresh. It finds the user
by issuer + subject (never by e-mail), refreshes their e-mail and name, and
replaces the memberships and sign-off group places that came from the provider
with what the role map gives now. Memberships added in Shipshape (source local)
stay. Every change is an audit event whose actor is the provider's subject.
"""

import logging
import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from apps.accounts import permissions
from apps.accounts.models import (
    Membership,
    OidcIdentity,
    SignOffGroup,
    SignOffGroupMember,
    Team,
)
from apps.accounts.sso import rolemap
from apps.audit import services as audit
from apps.core import crypto

log = logging.getLogger(__name__)

EXTERNAL = Membership.Source.EXTERNAL
REFRESH_LABEL = "oidc-refresh-token"


class SignInRefused(Exception):
    """The provider vouched for the person, but Shipshape does not let them in.

    reason: "unmapped" (the role map gives them nothing), "inactive" (the
    account is deactivated here), "misconfigured" (the role map is broken).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def role_map_rules() -> list[rolemap.Rule]:
    """The configured role map's rules; none when OIDC_ROLE_MAP is unset."""
    if not settings.OIDC_ROLE_MAP:
        return []
    return rolemap.load(settings.OIDC_ROLE_MAP)


def grants_for(claims: dict) -> rolemap.Grants:
    return rolemap.evaluate(
        role_map_rules(),
        claims,
        groups_claim=settings.OIDC_GROUPS_CLAIM,
        today=timezone.localdate(),
    )


def _username(claims: dict) -> str:
    raw = (
        claims.get("preferred_username")
        or str(claims.get("email") or "").partition("@")[0]
        or f"sso-{claims['sub']}"
    )
    base = re.sub(r"[^\w.@+-]", "-", str(raw))[:140].strip("-") or "sso"
    name, number = base, 1
    while User.objects.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def _names(claims: dict) -> tuple[str, str]:
    first, last = claims.get("given_name"), claims.get("family_name")
    if first is None and last is None:
        first, _, last = str(claims.get("name") or "").partition(" ")
    return str(first or "")[:150], str(last or "")[:150]


def _identity(issuer: str, claims: dict) -> OidcIdentity:
    identity = (
        OidcIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=str(claims["sub"]))
        .first()
    )
    if identity is not None:
        return identity
    user = User(username=_username(claims))
    user.set_unusable_password()
    user.save()
    identity = OidcIdentity.objects.create(
        user=user, issuer=issuer, subject=str(claims["sub"])
    )
    audit.record(
        actor=None,
        actor_label=identity.label,
        action="user.created",
        target=user,
        after={"username": user.username, "source": EXTERNAL},
    )
    return identity


def _refresh_profile(identity: OidcIdentity, claims: dict) -> None:
    user = identity.user
    first, last = _names(claims)
    email = str(claims.get("email") or "")[:254] if "email" in claims else user.email
    before = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }
    after = {"email": email, "first_name": first, "last_name": last}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))
        audit.record(
            actor=None,
            actor_label=identity.label,
            action="user.profile_refreshed",
            target=user,
            before={k: before[k] for k in changed},
            after=changed,
        )


def _record(identity: OidcIdentity, action: str, target, team_id: int, **fields):
    audit.record(
        actor=None,
        actor_label=identity.label,
        action=action,
        target=target,
        team_id=team_id,
        **fields,
    )


def _sync_memberships(identity: OidcIdentity, grants: rolemap.Grants) -> None:
    user = identity.user
    teams = {team.pk: team for team in Team.objects.all()}
    wanted = {
        pk: role for pk, team in teams.items() if (role := grants.role_for(team.slug))
    }
    existing = Membership.objects.select_for_update().filter(user=user)
    for membership in existing:
        if membership.source != EXTERNAL:
            wanted.pop(membership.team_id, None)  # added here: left alone
            continue
        role = wanted.pop(membership.team_id, None)
        if role is None:
            places = SignOffGroupMember.objects.filter(
                group__team_id=membership.team_id, user=user
            )
            before = {"user": user.username, "role": membership.role}
            names = sorted(places.values_list("group__name", flat=True))
            if names:
                before["signoff_groups"] = names
            _record(
                identity,
                "membership.removed",
                membership,
                membership.team_id,
                before={**before, "source": EXTERNAL},
            )
            places.delete()
            membership.delete()
        elif role != membership.role:
            _record(
                identity,
                "membership.changed",
                membership,
                membership.team_id,
                before={"role": membership.role},
                after={"user": user.username, "role": role, "source": EXTERNAL},
            )
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
    for team_id, role in wanted.items():
        membership = Membership.objects.create(
            team_id=team_id, user=user, role=role, source=EXTERNAL
        )
        _record(
            identity,
            "membership.created",
            membership,
            team_id,
            after={"user": user.username, "role": role, "source": EXTERNAL},
        )


def _sync_signoff_groups(identity: OidcIdentity, grants: rolemap.Grants) -> None:
    user = identity.user
    roles = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    wanted: dict[int, SignOffGroup] = {}
    for slug, name in grants.signoff_groups:
        group = SignOffGroup.objects.filter(team__slug=slug, name__iexact=name).first()
        if group and roles.get(group.team_id) in permissions.ACTIONS["signoff"]:
            wanted[group.pk] = group
    places = SignOffGroupMember.objects.select_related("group").filter(user=user)
    for place in places:
        if wanted.pop(place.group_id, None) is not None or place.source != EXTERNAL:
            continue
        _record(
            identity,
            "signoff_group.member_removed",
            place.group,
            place.group.team_id,
            before={"user": user.username, "source": EXTERNAL},
        )
        place.delete()
    for group in wanted.values():
        SignOffGroupMember.objects.create(group=group, user=user, source=EXTERNAL)
        _record(
            identity,
            "signoff_group.member_added",
            group,
            group.team_id,
            after={"user": user.username, "source": EXTERNAL},
        )


def sso_sign_in(
    *, issuer: str, claims: dict, refresh_token: str = "", token_check: bool = False
) -> User:
    """Sign-in or session refresh: the user these verified claims name.

    Raises SignInRefused when the account is deactivated here, when the role
    map gives the person nothing (and nobody added them to a team by hand), or
    when the role map cannot be read. Membership changes are kept either way.
    The token check (sweep.py) applies userinfo claims the same way.
    """
    try:
        rules = role_map_rules()
    except rolemap.RoleMapError as error:
        log.error("OIDC_ROLE_MAP: %s", error)
        raise SignInRefused("misconfigured") from None
    grants = rolemap.evaluate(
        rules,
        claims,
        groups_claim=settings.OIDC_GROUPS_CLAIM,
        today=timezone.localdate(),
    )
    known = OidcIdentity.objects.filter(issuer=issuer, subject=str(claims["sub"]))
    if grants.empty and not known.exists():
        raise SignInRefused("unmapped")  # no account is made for nobody
    with transaction.atomic():
        identity = _identity(issuer, claims)
        user = identity.user
        if not user.is_active:
            raise SignInRefused("inactive")
        _refresh_profile(identity, claims)
        _sync_memberships(identity, grants)
        _sync_signoff_groups(identity, grants)
        groups = claims.get(settings.OIDC_GROUPS_CLAIM)
        identity.groups = sorted(map(str, groups)) if isinstance(groups, list) else []
        identity.checked_at = timezone.now()
        identity.active = True
        fields = ["groups", "checked_at", "active"]
        if not token_check:  # the token check is not a sign-in
            identity.last_sign_in_at = identity.checked_at
            fields.append("last_sign_in_at")
        if refresh_token:
            identity.refresh_token = crypto.encrypt(REFRESH_LABEL, refresh_token)
            fields.append("refresh_token")
        identity.save(update_fields=fields)
        admitted = user.is_superuser or Membership.objects.filter(user=user).exists()
    if not admitted:
        raise SignInRefused("unmapped")
    return user


@transaction.atomic
def sso_access_end(*, identity: OidcIdentity, reason: str) -> None:
    """The provider no longer vouches for this person: their memberships and
    sign-off places from the provider go, and their API tokens stop, until
    they sign in through the provider again."""
    identity = OidcIdentity.objects.select_for_update().get(pk=identity.pk)
    if not identity.active:
        return
    _sync_memberships(identity, rolemap.Grants())
    _sync_signoff_groups(identity, rolemap.Grants())
    identity.active, identity.refresh_token = False, ""
    identity.checked_at = timezone.now()
    identity.save(update_fields=["active", "refresh_token", "checked_at"])
    audit.record(
        actor=None,
        actor_label=identity.label,
        action="sso.access_ended",
        target=identity.user,
        after={"user": identity.user.username, "reason": reason},
    )


def api_access_allowed(user: User) -> bool:
    """Whether a user's API tokens work: always without single sign-on; with it,
    while the provider vouches for them and they belong to a team."""
    try:
        identity = user.oidc_identity
    except OidcIdentity.DoesNotExist:
        return True
    if not identity.active:
        return False
    return user.is_superuser or Membership.objects.filter(user=user).exists()
