"""`manage.py policy_export ENV`: print an environment's policy as YAML."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from apps.catalog.models import Environment
from apps.checklists import selectors as checklist_selectors
from apps.checklists.models import ChecklistTemplate
from apps.policy import policyfile


def find_environment(reference: str) -> Environment:
    """An environment by id or service-slug/name; CommandError otherwise."""
    if reference.isdigit():
        environment = Environment.objects.filter(pk=int(reference)).first()
    else:
        service, _, name = reference.partition("/")
        environment = Environment.objects.filter(
            service__slug=service, name=name
        ).first()
    if environment is None:
        raise CommandError(f"No environment {reference!r}: give an id or service/name.")
    return environment


class Command(BaseCommand):
    help = "Print the readiness policy of ENV (id or service/name) as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("environment", help="id or service-slug/environment-name")
        parser.add_argument(
            "--template",
            help="NAME or NAME:VERSION; by default the version of `default` the "
            "environment's team uses (its own, or the shared one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        environment = find_environment(options["environment"])
        team_id = environment.service.team_id
        name, _, version = (options.get("template") or "").partition(":")
        if version:
            template = ChecklistTemplate.objects.filter(
                Q(team__isnull=True) | Q(team_id=team_id), name=name, version=version
            ).first()
        else:
            template = checklist_selectors.template_default_for_team(
                team_id, name or checklist_selectors.DEFAULT_NAME
            )
        if template is None:
            raise CommandError("No such template.")
        self.stdout.write(policyfile.policy_export(environment, template), ending="")
