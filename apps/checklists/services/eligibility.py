"""Choosing who may sign each sign-off role of a team. Every change is audited."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts import permissions
from apps.accounts.models import Membership, SignOffGroup, Team
from apps.audit import services as audit
from apps.checklists import selectors
from apps.checklists.models import SignOffEligibility


@transaction.atomic
def signoff_eligibility_set(
    *,
    team: Team,
    role_key: str,
    team_roles: list[str],
    users: list[User],
    groups: list[SignOffGroup],
    by: User | None,
) -> SignOffEligibility | None:
    """Choose who may sign a role of the team's releases: holders of team roles,
    named members, sign-off groups. Naming no one lets anyone on the team who
    may sign off sign it (and returns None).

    Refuses (leads and admins only): roles no template of the team has,
    auditors, people outside the team, and another team's groups.
    """
    if by is not None:
        permissions.require(by, "manage_signers", team)
    keys = {role["key"] for role in selectors.signoff_roles_for_team(team)}
    if role_key not in keys:
        raise ValidationError(
            {"role_key": f"No template of {team} has a sign-off role {role_key!r}."}
        )
    if set(team_roles) - selectors.SIGNING_ROLES:
        raise ValidationError(
            {"team_roles": "Choose lead, engineer or admin; auditors never sign."}
        )
    roles = dict(
        Membership.objects.filter(team=team, user__in=users).values_list(
            "user_id", "role"
        )
    )
    refused = [
        user.get_username()
        for user in users
        if roles.get(user.pk) not in selectors.SIGNING_ROLES
    ]
    if refused:
        raise ValidationError(
            {"users": f"Not members of {team} who may sign off: {', '.join(refused)}."}
        )
    if any(group.team_id != team.pk for group in groups):
        raise ValidationError({"groups": f"Choose sign-off groups of {team}."})
    rule = (
        SignOffEligibility.objects.select_for_update()
        .filter(team=team, role_key=role_key)
        .first()
    )
    before = _eligibility_values(rule)
    wanted = {
        "team_roles": sorted(set(team_roles)),
        "users": sorted({u.get_username() for u in users}),
        "groups": sorted({g.name for g in groups}),
    }
    if before == wanted:
        return rule
    target_id = rule.pk if rule else ""
    if not any(wanted.values()):
        rule.delete()
        rule = None
    else:
        if rule is None:
            rule = SignOffEligibility(team=team, role_key=role_key)
        rule.team_roles, rule.updated_by = wanted["team_roles"], by
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise ValidationError(
                "Someone else just chose who signs this role; look again."
            ) from None
        rule.users.set(users)
        rule.groups.set(groups)
        target_id = rule.pk
    changed_before, changed_after = audit.diff(before, wanted)
    audit.record(
        actor=by,
        action="signoff_eligibility.changed",
        target_type="checklists.signoffeligibility",
        target_id=target_id,
        team_id=team.pk,
        before={"role": role_key, **changed_before},
        after={"role": role_key, "anyone": rule is None, **changed_after},
    )
    return rule


def _eligibility_values(rule: SignOffEligibility | None) -> dict:
    if rule is None:
        return {"team_roles": [], "users": [], "groups": []}
    return {
        "team_roles": sorted(rule.team_roles),
        "users": sorted(rule.users.values_list("username", flat=True)),
        "groups": sorted(rule.groups.values_list("name", flat=True)),
    }
