"""`manage.py policy_export ENV`: print an environment's policy as YAML."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.models import Environment
from apps.checklists import services as checklist_services
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
            "--template", help="NAME or NAME:VERSION; the latest default by default"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        environment = find_environment(options["environment"])
        wanted = options.get("template")
        if wanted:
            name, _, version = wanted.partition(":")
            templates = ChecklistTemplate.objects.filter(name=name)
            if version:
                templates = templates.filter(version=version)
            template = templates.order_by("-version").first()
        else:
            template = checklist_services.template_latest()
        if template is None:
            raise CommandError("No such template.")
        self.stdout.write(policyfile.policy_export(environment, template), ending="")
