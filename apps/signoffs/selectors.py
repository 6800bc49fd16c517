"""Reads of sign-offs, and who may sign which role of a release.

Who may sign is the team's eligibility for the role key (apps.checklists), read
at the moment someone signs; whether the release's creator may approve is its
template's option, read at the same moment. So a change of either applies to
open releases at once, and decisions already recorded stay as they are.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from apps.accounts import permissions
from apps.accounts.models import Membership
from apps.checklists import selectors as checklist_selectors
from apps.checklists.models import ChecklistTemplate
from apps.checklists.selectors import Signers
from apps.releases import lifecycle
from apps.releases.models import Release
from apps.signoffs.models import SignOff


def current_decisions(release: Release) -> dict[str, SignOff]:
    """The latest decision per role of the release, in one query."""
    current: dict[str, SignOff] = {}
    for signoff in release.signoffs.select_related("user").order_by("id"):
        current[signoff.role_key] = signoff
    return current


def current_decisions_many(release_ids: list[int]) -> dict[int, dict]:
    """The latest sign-off per role of each release, for many releases at once."""
    decisions: dict[int, dict] = {}
    signoffs = SignOff.objects.filter(release_id__in=release_ids).select_related("user")
    for signoff in signoffs.order_by("id"):
        decisions.setdefault(signoff.release_id, {})[signoff.role_key] = signoff
    return decisions


def signoff_history(release: Release) -> list[SignOff]:
    return list(release.signoffs.select_related("user").order_by("-id"))


def creator_may_approve(release: Release) -> bool:
    """The option of the release's template, as it is now."""
    return (
        ChecklistTemplate.objects.filter(pk=release.template_id)
        .values_list("allow_creator_approval", flat=True)
        .first()
        is not False
    )


def role_name(release: Release, role_key: str) -> str:
    return next(
        (r["name"] for r in release.signoff_roles if r["key"] == role_key), role_key
    )


def signoff_refusal(
    *,
    release: Release,
    role_key: str,
    user: User,
    signers: dict[str, Signers] | None = None,
) -> str | None:
    """Why the user may not sign this role of the release at all, or None.

    Pass `signers` (checklists.selectors.signers_for_team) when asking about
    several roles or people, to read them once.
    """
    if not permissions.can(user, "signoff", release.team):
        return f"Your role in {release.team} does not allow sign-offs."
    if signers is None:
        signers = checklist_selectors.signers_for_team(release.team_id)
    rule = checklist_selectors.signers_for_role(signers, role_key)
    if rule.anyone or rule.admits(user.pk, permissions.role_of(user, release.team)):
        return None
    name = role_name(release, role_key)
    return f"Only {rule.describe()} may sign as {name}."


def approval_refusal(
    *,
    release: Release,
    role_key: str,
    user: User,
    current: dict[str, SignOff],
    creator_may: bool | None = None,
) -> str | None:
    """Why the user may not approve this role (rejecting stays open), or None:
    the template keeps creators from approving, or the user approved another
    role and the release does not allow one person several roles."""
    if creator_may is None:
        creator_may = creator_may_approve(release)
    if not creator_may and release.created_by_id == user.pk:
        return "You created this release; another person must approve it."
    if release.allow_shared_signoffs:
        return None
    for other_key, other in current.items():
        if other_key != role_key and other.is_approval and other.user_id == user.pk:
            return (
                f"You already approved as {other.role_name}; another person "
                f"must approve as {role_name(release, role_key)}."
            )
    return None


@dataclass(frozen=True)
class RoleRow:
    """One role of a release as the sign-off panel shows it to one viewer."""

    key: str
    name: str
    decision: SignOff | None
    anyone: bool
    who: str
    refusal: str | None
    approve_refusal: str | None


def signoff_roles_for_viewer(
    release: Release, user: User, current: dict[str, SignOff]
) -> list[RoleRow]:
    """Each role of the release, who may sign it, and whether the viewer may
    sign or approve it (and why not)."""
    signers = checklist_selectors.signers_for_team(release.team_id)
    may_sign = permissions.can(user, "signoff", release.team)
    creator_may = creator_may_approve(release) if may_sign else True
    rows = []
    for role in release.signoff_roles:
        rule = checklist_selectors.signers_for_role(signers, role["key"])
        refusal = (
            signoff_refusal(
                release=release, role_key=role["key"], user=user, signers=signers
            )
            if may_sign
            else None
        )
        approve_refusal = (
            approval_refusal(
                release=release,
                role_key=role["key"],
                user=user,
                current=current,
                creator_may=creator_may,
            )
            if may_sign and refusal is None
            else None
        )
        rows.append(
            RoleRow(
                key=role["key"],
                name=role["name"],
                decision=current.get(role["key"]),
                anyone=rule.anyone,
                who=rule.describe(),
                refusal=refusal,
                approve_refusal=approve_refusal,
            )
        )
    return rows


def signoff_panel(release: Release, user: User, form: Any = None) -> dict:
    """What the sign-off panel draws for one viewer: each role with who may sign
    it, and the form (a SignOffForm, when one was posted) offering only the
    roles this viewer may sign (the others disabled, with why)."""
    decisions = current_decisions(release)
    roles = signoff_roles_for_viewer(release, user, decisions)
    signable = [role for role in roles if role.refusal is None]
    selected = form["role_key"].value() if form is not None else None
    if not selected:
        waiting = [r for r in signable if not (r.decision and r.decision.is_approval)]
        selected = (waiting or signable or [None])[0]
        selected = selected.key if selected else ""
    return {
        "release": release,
        "roles": roles,
        "roles_approved": sum(
            1 for role in roles if role.decision and role.decision.is_approval
        ),
        "selected_role": selected,
        "can_signoff": permissions.can(user, "signoff", release.team)
        and release.status in lifecycle.OPEN_STATUSES,
        "can_sign_any": bool(signable),
        "signoff_form": form,
        "signers": signers_to_ask(release, user),
    }


def signers_to_ask(release: Release, user: User) -> list[User]:
    """People a lead may ask for a sign-off; empty for everyone else."""
    if release.status not in lifecycle.OPEN_STATUSES or not permissions.can(
        user, "transition", release.team
    ):
        return []
    roles = permissions.ACTIONS["signoff"]
    return [
        membership.user
        for membership in Membership.objects.filter(
            team_id=release.team_id, role__in=roles
        )
        .select_related("user")
        .order_by("user__username")
    ]
