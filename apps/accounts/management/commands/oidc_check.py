"""`manage.py oidc_check [--claims JSON]`: is single sign-on set up right?

Prints the provider's discovery result, the keys its JWKS publishes, the role map's
rules, and what the map gives for a sample set of claims. Exits 1 when discovery,
the keys or the role map fail. Reads only; changes nothing.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import SignOffGroup, Team
from apps.accounts.sso import provider, rolemap, services

ENDPOINTS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)


class Command(BaseCommand):
    help = "Check single sign-on: discovery, keys, and the role map for sample claims."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--claims",
            default="",
            help='Sample claims as JSON, e.g. \'{"groups": ["platform-leads"]}\'.',
        )

    def handle(self, *args, **options) -> None:
        claims = self._claims(options["claims"])
        if not settings.OIDC_ISSUER:
            raise CommandError("Single sign-on is off: OIDC_ISSUER is not set.")
        failed = not self._provider()
        rules = self._rules()
        failed = failed or rules is None
        if rules is not None and claims is not None:
            self._grants(rules, claims)
        if failed:
            raise CommandError("Single sign-on is not ready (see above).")

    def _claims(self, raw: str) -> dict | None:
        if not raw:
            return None
        try:
            claims = json.loads(raw)
        except ValueError as error:
            raise CommandError(f"--claims is not JSON: {error}") from None
        if not isinstance(claims, dict):
            raise CommandError('--claims is a JSON object, e.g. {"groups": ["a"]}.')
        return claims

    def _provider(self) -> bool:
        out = self.stdout
        out.write(f"Discovery: {settings.OIDC_ISSUER}/.well-known/openid-configuration")
        try:
            document = provider.discovery(fresh=True)
            keys = provider.jwks(fresh=True)["keys"]
        except provider.ProviderUnavailable as error:
            out.write(self.style.ERROR(f"  failed: {error}"))
            return False
        for name in ENDPOINTS:
            out.write(f"  {name}: {document.get(name) or '(not advertised)'}")
        methods = document.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            out.write(self.style.WARNING("  PKCE S256 is not advertised"))
        out.write(f"Keys: {len(keys)}")
        for key in keys:
            out.write(
                f"  kid={key.get('kid', '?')} kty={key.get('kty', '?')} "
                f"alg={key.get('alg', '(any)')} use={key.get('use', '(any)')}"
            )
        if not keys:
            out.write(self.style.ERROR("  the JWKS publishes no key"))
            return False
        return True

    def _rules(self) -> list[rolemap.Rule] | None:
        out = self.stdout
        out.write(f"Role map: {settings.OIDC_ROLE_MAP or '(OIDC_ROLE_MAP not set)'}")
        try:
            rules = services.role_map_rules()
        except rolemap.RoleMapError as error:
            out.write(self.style.ERROR(f"  invalid: {error}"))
            return None
        teams = set(Team.objects.values_list("slug", flat=True))
        for number, rule in enumerate(rules, start=1):
            missing = (
                "" if rule.every_team or rule.team in teams else "  (no such team)"
            )
            out.write(f"  {number}. {rule.describe()}{missing}")
        return rules

    def _grants(self, rules: list[rolemap.Rule], claims: dict) -> None:
        out = self.stdout
        grants = services.grants_for(claims)
        out.write(f"Claims {json.dumps(claims)} give:")
        teams = {team.slug: team for team in Team.objects.all()}
        given = {slug: role for slug in teams if (role := grants.role_for(slug))}
        for slug, role in sorted(given.items()):
            out.write(f"  team {slug}: {role}")
        for slug in sorted(set(grants.roles) - set(teams)):
            out.write(self.style.WARNING(f"  team {slug}: no such team, ignored"))
        for slug, name in sorted(grants.signoff_groups):
            known = SignOffGroup.objects.filter(team__slug=slug, name__iexact=name)
            note = "" if known.exists() else " (no such sign-off group, ignored)"
            out.write(f"  sign-off group {name} in {slug}{note}")
        if not given and not grants.signoff_groups:
            out.write(self.style.WARNING("  nothing: this person would be refused"))
        for rule in grants.matched:
            out.write(f"  matched: {rule.describe()}")
