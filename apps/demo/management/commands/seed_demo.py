"""manage.py seed_demo: a demo team for development, on the default template
(which `migrate` loads; loaded here too if a database lacks it)."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts import services as accounts
from apps.accounts.models import Membership, Team
from apps.catalog.models import Environment, Service
from apps.checklists import services as checklists
from apps.checklists.models import SignOffEligibility
from apps.contacts.models import Contact, SupportResource
from apps.demo.history import history_seed
from apps.probes import services as probes
from apps.releases import services as releases
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoffs

Role = Membership.Role

# Development-only credentials, printed by `make run`; refused with DEBUG off.
# Each user signs one sign-off role of the default template (the auditor none),
# so a demo release can reach "Ready to deploy" with every role approved by
# the one person named for it.
DEMO_USERS = [
    ("lead", "shipshape-lead", Role.LEAD, "Lena", "Lead", "technical_lead"),
    ("engineer", "shipshape-engineer", Role.ENGINEER, "Emil", "Engineer", "operations"),
    ("auditor", "shipshape-auditor", Role.AUDITOR, "Aud", "Itor", ""),
    ("admin", "shipshape-admin", Role.ADMIN, "Ada", "Admin", "stakeholders"),
    (
        "security",
        "shipshape-security",
        Role.ENGINEER,
        "Sami",
        "Secure",
        "security_review",
    ),
    ("product", "shipshape-product", Role.ENGINEER, "Pia", "Product", "product_owner"),
    ("support", "shipshape-support", Role.ENGINEER, "Sol", "Support", "support"),
]
# Roles the demo release arrives approved with; the walk in the README has the
# lead and the engineer approve the other two.
PRE_APPROVED = ("security_review", "product_owner", "support", "stakeholders")
# Gating items left open for the walk, besides those the probes verify.
LEFT_OPEN = 3


class Command(BaseCommand):
    help = "Load the default checklist template and demo data (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--template-only", action="store_true", help="load only the template"
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="leave out the six months of production history",
        )

    def handle(
        self, *args, template_only: bool, no_history: bool = False, **options
    ) -> None:
        template = checklists.template_ensure_default()
        self.stdout.write(f"Default template: {template}")
        if template_only:
            return
        if not settings.DEBUG:
            raise CommandError(
                "Demo users have published passwords; seed_demo runs only with "
                "DEBUG=true."
            )
        with transaction.atomic():
            self._seed(template, history=not no_history)
        self.stdout.write("Demo users (development passwords):")
        for username, password, role, *_, signs in DEMO_USERS:
            signer = f"  signs {signs.replace('_', ' ')}" if signs else ""
            line = f"  {role:<9} {username:<9} password: {password:<19}{signer}"
            self.stdout.write(line.rstrip())

    def _seed(self, template, *, history: bool) -> None:
        team = Team.objects.filter(name="Platform").first() or accounts.team_create(
            name="Platform", by=None
        )
        users = {}
        for username, password, role, first, last, _ in DEMO_USERS:
            # Team members work in the pages: the admin is for superusers only,
            # so no demo user is staff (also not one seeded by an older version).
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password(password)
                user.save()
            elif user.is_staff:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            if not Membership.objects.filter(team=team, user=user).exists():
                accounts.membership_set(team=team, user=user, role=role, by=None)
            users[username] = user
        lead = users["lead"]
        self._signers(team, users)
        service, _ = Service.objects.get_or_create(
            slug="storefront-api",
            defaults={
                "team": team,
                "name": "Storefront API",
                "description": "The public shop's backend.",
            },
        )
        # The demo's environments are this app itself, so its probes reach a
        # real server on loopback (allowed with DEBUG) and never leave the machine.
        base = settings.SITE_URL.rstrip("/")
        for name in ("staging", "production"):
            Environment.objects.get_or_create(
                service=service,
                name=name,
                defaults={
                    "base_url": base,
                    "api_url": f"{base}/api/v1/",
                    "k8s_namespace": f"storefront-{name}",
                },
            )
        self._contacts(team)
        if history:
            self._history(team, service, template, lead)
        staging = service.environments.get(name="staging")
        if not staging.probe_configs.exists():
            self._probes(staging, template, lead)
        if Release.objects.filter(environment=staging).exists():
            return
        release = releases.release_create(
            service=service,
            environment=staging,
            template=template,
            version="2.4.0",
            by=lead,
            notes="Checkout redesign and payment retries.",
        )
        verified = set(staging.probe_configs.values_list("verifies__text", flat=True))
        gating = [
            item
            for item in release.items.order_by("position")
            if item.gates_readiness and item.text not in verified
        ]
        for item in gating[:-LEFT_OPEN]:
            releases.release_item_set_state(
                item=item, state=ReleaseItem.State.DONE, by=lead
            )
        signers = {signs: users[name] for name, *_, signs in DEMO_USERS if signs}
        for role_key in PRE_APPROVED:
            signoffs.signoff_record(
                release=release,
                role_key=role_key,
                decision="approve",
                comment="Reviewed for the demo.",
                by=signers[role_key],
            )

    def _history(self, team: Team, service: Service, template, lead: User) -> None:
        """Production environments marked as such, and six months of history
        for the storefront and a search service, for the Insights page."""
        search, _ = Service.objects.get_or_create(
            slug="search",
            defaults={"team": team, "name": "Search", "description": "Product search."},
        )
        base = settings.SITE_URL.rstrip("/")
        Environment.objects.get_or_create(
            service=search,
            name="production",
            defaults={"base_url": base, "api_url": f"{base}/api/v1/"},
        )
        productions = Environment.objects.filter(
            service__in=(service, search), name="production"
        ).select_related("service")
        productions.update(production=True)
        written = history_seed(list(productions), template, lead)
        if written:
            self.stdout.write(f"Demo history: {written} production deploys.")

    def _signers(self, team: Team, users: dict[str, User]) -> None:
        """Name each demo signer as the one person who may sign their role."""
        configured = set(
            SignOffEligibility.objects.filter(team=team).values_list(
                "role_key", flat=True
            )
        )
        for username, *_, signs in DEMO_USERS:
            if signs and signs not in configured:
                checklists.signoff_eligibility_set(
                    team=team,
                    role_key=signs,
                    team_roles=[],
                    users=[users[username]],
                    groups=[],
                    by=None,
                )

    def _probes(self, environment: Environment, template, lead: User) -> None:
        """The default probes, with the rate-limit burst aimed at the API, whose
        anonymous throttle answers 429 (the pages have no rate limit to find)."""
        probes.probe_configs_create_defaults(
            environment=environment, template=template, by=lead
        )
        ratelimit = environment.probe_configs.get(kind="ratelimit")
        probes.probe_config_save(
            config=ratelimit,
            environment=environment,
            by=lead,
            name=ratelimit.name,
            kind=ratelimit.kind,
            target=f"{environment.base_url.rstrip('/')}/api/v1/releases/",
            options={"requests": "80"},
            verifies=list(ratelimit.verifies.all()),
        )

    def _contacts(self, team: Team) -> None:
        if Contact.objects.filter(team=team).exists():
            return
        for order, (role, name, email, phone) in enumerate(
            [
                ("DevOps Lead", "Dana Ops", "dana@example.com", "+1 555 0101"),
                ("Backend Lead", "Ben Back", "ben@example.com", "+1 555 0102"),
                ("Frontend Lead", "Fay Front", "fay@example.com", "+1 555 0103"),
                ("Database Admin", "Dee Bee", "dee@example.com", "+1 555 0104"),
                ("Security Team", "", "security@example.com", "+1 555 0105"),
            ],
            start=1,
        ):
            Contact.objects.create(
                team=team,
                role=role,
                name=name,
                email=email,
                phone=phone,
                escalation_order=order,
            )
        for kind, label, url in [
            ("documentation", "Docs", "https://docs.example.com"),
            ("status_page", "Status page", "https://status.example.com"),
            ("incident_management", "Incidents", "https://incidents.example.com"),
            ("team_chat", "#storefront-releases", "https://chat.example.com/rel"),
            ("on_call", "On-call schedule", "https://oncall.example.com"),
        ]:
            SupportResource.objects.create(team=team, kind=kind, label=label, url=url)
