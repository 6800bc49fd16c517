"""The role map: which team roles and sign-off groups a provider's claims give.

A JSON or YAML file (OIDC_ROLE_MAP) with a list of rules; docs/sso.md has the
full rules. Parsing and evaluating need no database: evaluate() names teams by
slug, and the sign-in service looks them up.

    rules:
      - group: platform-leads      # a value of the groups claim (OIDC_GROUPS_CLAIM)
        team: platform             # a team's slug
        role: lead
      - claim: department          # or any claim, and the value it must have
        value: sre
        team: sre
        role: engineer
      - group: appsec
        team: platform
        signoff_group: Security    # also (or only) a member of this sign-off group
      - group: audit
        every_team: true           # every team there is
        role: auditor
        until: 2027-03-31          # the rule gives nothing after this day
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The stronger role wins when two rules give one team different roles.
ROLE_RANK = {"auditor": 1, "engineer": 2, "lead": 3, "admin": 4}
KEYS = {"group", "claim", "value", "team", "every_team", "role", "signoff_group"}
KEYS |= {"until"}


class RoleMapError(Exception):
    """The role map file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Rule:
    claim: str
    value: str
    team: str  # a slug, or "" with every_team
    every_team: bool
    role: str
    signoff_group: str
    until: datetime.date | None

    def describe(self) -> str:
        who = f"{self.claim}={self.value}" if self.claim else f"group {self.value}"
        where = "every team" if self.every_team else f"team {self.team}"
        gives = [self.role] if self.role else []
        if self.signoff_group:
            gives.append(f"sign-off group {self.signoff_group}")
        until = f" until {self.until.isoformat()}" if self.until else ""
        return f"{who} -> {where}: {', '.join(gives)}{until}"


@dataclass
class Grants:
    """What the map gives one user: roles by team slug, sign-off groups, why."""

    roles: dict[str, str] = field(default_factory=dict)
    every_team_role: str = ""
    signoff_groups: set[tuple[str, str]] = field(default_factory=set)
    matched: list[Rule] = field(default_factory=list)

    def role_for(self, slug: str) -> str:
        roles = [r for r in (self.roles.get(slug, ""), self.every_team_role) if r]
        return max(roles, key=ROLE_RANK.__getitem__, default="")

    @property
    def empty(self) -> bool:
        return not (self.roles or self.every_team_role or self.signoff_groups)


def _text(rule: dict, key: str, where: str) -> str:
    value = rule.get(key, "")
    if value is None or isinstance(value, dict | list):
        raise RoleMapError(f"{where}: {key} must be a single value")
    return str(value).strip()


def parse(document: Any, roles: tuple[str, ...] = tuple(ROLE_RANK)) -> list[Rule]:
    """Check a loaded role map and return its rules, or raise RoleMapError."""
    if isinstance(document, dict):
        document = document.get("rules")
    if not isinstance(document, list):
        raise RoleMapError("the role map must be a list of rules (or rules: [...])")
    rules = []
    for number, raw in enumerate(document, start=1):
        where = f"rule {number}"
        if not isinstance(raw, dict):
            raise RoleMapError(f"{where}: a rule is a mapping of keys to values")
        unknown = sorted(set(raw) - KEYS)
        if unknown:
            raise RoleMapError(f"{where}: unknown key {', '.join(unknown)}")
        if ("group" in raw) == ("claim" in raw):
            raise RoleMapError(f"{where}: give either group, or claim and value")
        if "group" in raw:
            claim, value = "", _text(raw, "group", where)
        else:
            claim, value = _text(raw, "claim", where), _text(raw, "value", where)
        if not value:
            raise RoleMapError(f"{where}: the group or value is empty")
        every_team = raw.get("every_team", False)
        if not isinstance(every_team, bool):
            raise RoleMapError(f"{where}: every_team is true or false")
        team = _text(raw, "team", where)
        if bool(team) == every_team:
            raise RoleMapError(f"{where}: give either team, or every_team: true")
        role = _text(raw, "role", where)
        if role and role not in roles:
            raise RoleMapError(f"{where}: role must be one of {', '.join(roles)}")
        signoff_group = _text(raw, "signoff_group", where)
        if not role and not signoff_group:
            raise RoleMapError(f"{where}: give a role, a signoff_group or both")
        if signoff_group and every_team:
            raise RoleMapError(f"{where}: a sign-off group belongs to one team")
        until = raw.get("until")
        if isinstance(until, str):
            try:
                until = datetime.date.fromisoformat(until)
            except ValueError:
                raise RoleMapError(f"{where}: until is a day, YYYY-MM-DD") from None
        if until is not None and not isinstance(until, datetime.date):
            raise RoleMapError(f"{where}: until is a day, YYYY-MM-DD")
        rules.append(Rule(claim, value, team, every_team, role, signoff_group, until))
    return rules


def load(path: str) -> list[Rule]:
    """Read and check the role map file (JSON when it ends in .json, else YAML)."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise RoleMapError(f"{path} cannot be read: {error.strerror}") from None
    try:
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise RoleMapError(f"{path} is not valid: {error}") from None
    return parse(document)


def _values(claims: dict, name: str) -> set[str]:
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value if not isinstance(v, dict | list)}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, str | int | float):
        return {str(value)}
    return set()


def evaluate(
    rules: list[Rule], claims: dict, *, groups_claim: str, today: datetime.date
) -> Grants:
    """What these claims give under these rules, today."""
    grants = Grants()
    for rule in rules:
        if rule.until is not None and today > rule.until:
            continue
        if rule.value not in _values(claims, rule.claim or groups_claim):
            continue
        grants.matched.append(rule)
        if rule.role and rule.every_team:
            grants.every_team_role = max(
                (grants.every_team_role or rule.role, rule.role),
                key=ROLE_RANK.__getitem__,
            )
        elif rule.role:
            grants.roles[rule.team] = max(
                (grants.roles.get(rule.team, rule.role), rule.role),
                key=ROLE_RANK.__getitem__,
            )
        if rule.signoff_group:
            grants.signoff_groups.add((rule.team, rule.signoff_group))
    return grants
