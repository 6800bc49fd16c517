"""Reads of checklist templates and of who may sign their roles, scoped to the user."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts import permissions
from apps.accounts.models import Membership, SignOffGroup, Team
from apps.checklists.models import (
    ChecklistTemplate,
    Severity,
    SignOffEligibility,
    SignOffEligibilityGroup,
    SignOffRole,
    TemplateItem,
)

DEFAULT_NAME = "default"
SIGNING_ROLES = permissions.ACTIONS["signoff"]
ANYONE = "anyone on the team may sign this role"


def template_list_for_user(user: User) -> QuerySet[ChecklistTemplate]:
    """Templates every team shares, and those of the user's teams."""
    teams = permissions.team_ids_for(user)
    templates = ChecklistTemplate.objects.select_related("team")
    if teams is None:
        return templates
    return templates.filter(Q(team__isnull=True) | Q(team_id__in=teams))


def template_get_for_user(user: User, pk: object) -> ChecklistTemplate:
    """The template, or 404 when it does not exist or belongs to another team."""
    try:
        return template_list_for_user(user).get(pk=pk)
    except (ChecklistTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such template.") from None


def template_owned_by(template: ChecklistTemplate, user: User | None) -> bool:
    """Whether the user may change this version in place: a shared template
    belongs to administrators (superusers, and the system as None), a team's
    template to those who manage that team's templates."""
    if user is None or user.is_superuser:
        return True
    if template.team_id is None:
        return False
    return permissions.can(user, "manage_templates", template.team)


def template_default_for_team(
    team_id: int | None, name: str = DEFAULT_NAME
) -> ChecklistTemplate | None:
    """The version of `name` a team's new releases use: the team's own latest
    version when it has one (its copy of a shared template, say), otherwise the
    latest version every team shares."""
    templates = ChecklistTemplate.objects.filter(name=name).order_by("-version")
    own = templates.filter(team_id=team_id).first() if team_id else None
    return own or templates.filter(team__isnull=True).first()


def template_severity_items(template: ChecklistTemplate) -> list[tuple[str, bool]]:
    """(text, advisory) of the items whose severity matters: those of the
    pre-deployment phase, which gate a release, and any other marked advisory;
    once each, in checklist order (severities are changed by item text)."""
    items = TemplateItem.objects.filter(phase__template=template).filter(
        Q(phase__kind="pre_deployment") | Q(severity=Severity.ADVISORY)
    )
    found: dict[str, bool] = {}
    for text, severity in items.values_list("text", "severity"):
        found[text] = found.get(text, False) or severity == Severity.ADVISORY
    return list(found.items())


def template_teams_managed_by(user: User) -> QuerySet[Team]:
    """The teams whose templates the user may change or import."""
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(
        pk__in=Membership.objects.filter(
            user=user, role__in=permissions.ACTIONS["manage_templates"]
        ).values("team_id")
    )


def teams_for_user(user: User) -> QuerySet[Team]:
    """The user's teams (every team for a superuser), by name."""
    teams = permissions.team_ids_for(user)
    found = Team.objects.order_by("name")
    return found if teams is None else found.filter(pk__in=teams)


def signoff_roles_for_team(team: Team) -> list[dict]:
    """The sign-off roles of the templates a team may use, one per key, named
    as the newest template names them."""
    roles: dict[str, dict] = {}
    rows = (
        SignOffRole.objects.filter(
            Q(template__team__isnull=True) | Q(template__team=team)
        )
        .order_by("-template__created_at", "-template_id", "position")
        .values_list("key", "name", "position")
    )
    for key, name, position in rows:
        roles.setdefault(key, {"key": key, "name": name, "position": position})
    return sorted(roles.values(), key=lambda role: (role["position"], role["name"]))


@dataclass(frozen=True)
class Signers:
    """Who may sign one role of a team. Naming no one lets anyone sign it."""

    role_key: str
    team_roles: frozenset[str] = frozenset()
    users: tuple[tuple[int, str], ...] = ()
    groups: tuple[tuple[int, str, frozenset[int]], ...] = ()

    @property
    def anyone(self) -> bool:
        return not (self.team_roles or self.users or self.groups)

    def admits(self, user_id: int, role: str | None) -> bool:
        """Whether a person holding `role` in the team may sign. Only roles that
        may sign off at all count, whatever the configuration names."""
        if role not in SIGNING_ROLES:
            return False
        if self.anyone or role in self.team_roles:
            return True
        if any(pk == user_id for pk, _ in self.users):
            return True
        return any(user_id in members for _, _, members in self.groups)

    def describe(self) -> str:
        """Who may sign, in words: "leads, Security reviewers (group), alice"."""
        if self.anyone:
            return ANYONE
        names = [
            f"{Membership.Role(role).label.lower()}s"
            for role in Membership.Role.values
            if role in self.team_roles
        ]
        names += [
            f"{name} (group{'' if members else ', no members yet'})"
            for _, name, members in self.groups
        ]
        names += [username for _, username in self.users]
        return ", ".join(names)


def signers_for_team(team_id: int) -> dict[str, Signers]:
    """Who may sign each configured role of the team, in at most three queries
    (one when nothing is configured); a role missing here is open to anyone."""
    rules = list(
        SignOffEligibility.objects.filter(team_id=team_id).values_list(
            "pk", "role_key", "team_roles"
        )
    )
    if not rules:
        return {}
    ids = [pk for pk, _, _ in rules]
    users: dict[int, list[tuple[int, str]]] = {}
    for rule_id, user_id, username in (
        SignOffEligibility.users.through.objects.filter(signoffeligibility_id__in=ids)
        .order_by("user__username")
        .values_list("signoffeligibility_id", "user_id", "user__username")
    ):
        users.setdefault(rule_id, []).append((user_id, username))
    groups: dict[int, dict[tuple[int, str], set[int]]] = {}
    for rule_id, group_id, name, member_id in (
        SignOffEligibilityGroup.objects.filter(eligibility_id__in=ids)
        .order_by("group__name")
        .values_list(
            "eligibility_id", "group_id", "group__name", "group__members__user"
        )
    ):
        members = groups.setdefault(rule_id, {}).setdefault((group_id, name), set())
        if member_id is not None:
            members.add(member_id)
    return {
        key: Signers(
            role_key=key,
            team_roles=frozenset(team_roles),
            users=tuple(users.get(pk, [])),
            groups=tuple(
                (group_id, name, frozenset(members))
                for (group_id, name), members in groups.get(pk, {}).items()
            ),
        )
        for pk, key, team_roles in rules
    }


def signers_for_role(signers: dict[str, Signers], role_key: str) -> Signers:
    return signers.get(role_key) or Signers(role_key=role_key)


def signoff_groups_for_team(team: Team) -> QuerySet[SignOffGroup]:
    """The team's sign-off groups with their members, by name."""
    return SignOffGroup.objects.filter(team=team).prefetch_related("members__user")
