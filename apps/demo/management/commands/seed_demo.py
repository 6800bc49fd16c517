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
from apps.contacts.models import Contact, SupportResource
from apps.probes import services as probes
from apps.releases import services as releases
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoffs

# Development-only credentials, printed by `make run`; refused with DEBUG off.
DEMO_USERS = [
    ("lead", "shipshape-lead", Membership.Role.LEAD, "Lena", "Lead"),
    ("engineer", "shipshape-engineer", Membership.Role.ENGINEER, "Emil", "Engineer"),
    ("auditor", "shipshape-auditor", Membership.Role.AUDITOR, "Aud", "Itor"),
]


class Command(BaseCommand):
    help = "Load the default checklist template and demo data (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--template-only", action="store_true", help="load only the template"
        )

    def handle(self, *args, template_only: bool, **options) -> None:
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
            self._seed(template)
        self.stdout.write("Demo users (development passwords):")
        for username, password, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {username:<9} password: {password}")

    def _seed(self, template) -> None:
        team = Team.objects.filter(name="Platform").first() or accounts.team_create(
            name="Platform", by=None
        )
        users = {}
        for username, password, role, first, last in DEMO_USERS:
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
            users[role] = user
        service, _ = Service.objects.get_or_create(
            slug="storefront-api",
            defaults={
                "team": team,
                "name": "Storefront API",
                "description": "The public shop's backend.",
            },
        )
        for name, url in [
            ("staging", "https://staging.example.com"),
            ("production", "https://www.example.com"),
        ]:
            Environment.objects.get_or_create(
                service=service,
                name=name,
                defaults={
                    "base_url": url,
                    "api_url": f"{url}/api/v1/",
                    "k8s_namespace": f"storefront-{name}",
                },
            )
        if not Contact.objects.filter(team=team).exists():
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
                SupportResource.objects.create(
                    team=team, kind=kind, label=label, url=url
                )
        staging = service.environments.get(name="staging")
        if not staging.probe_configs.exists():
            probes.probe_configs_create_defaults(
                environment=staging, template=template, by=users[Membership.Role.LEAD]
            )
        if Release.objects.filter(service=service).exists():
            return
        release = releases.release_create(
            service=service,
            environment=staging,
            template=template,
            version="2.4.0",
            by=users[Membership.Role.LEAD],
            notes="Checkout redesign and payment retries.",
        )
        for item in release.items.filter(phase="pre_deployment")[:12]:
            releases.release_item_set_state(
                item=item, state=ReleaseItem.State.DONE, by=users[Membership.Role.LEAD]
            )
        signoffs.signoff_record(
            release=release,
            role_key=release.signoff_roles[0]["key"],
            decision="approve",
            comment="Code reviewed; tests green.",
            by=users[Membership.Role.LEAD],
        )
