"""manage.py export_checklist [NAME] [--version N]: print a template as Markdown."""

from django.core.management.base import BaseCommand, CommandError

from apps.checklists import services
from apps.checklists.models import ChecklistTemplate


class Command(BaseCommand):
    help = "Print a checklist template (latest version by default) as Markdown."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", nargs="?", default=services.DEFAULT_NAME)
        parser.add_argument("--template-version", type=int, dest="template_version")

    def handle(self, *args, name: str, template_version: int | None, **options):
        templates = ChecklistTemplate.objects.filter(name=name)
        if template_version is not None:
            templates = templates.filter(version=template_version)
        template = templates.order_by("-version").first()
        if template is None:
            known = ", ".join(
                sorted(set(ChecklistTemplate.objects.values_list("name", flat=True)))
            )
            raise CommandError(
                f"No template named {name!r}"
                + (f" at version {template_version}" if template_version else "")
                + f". Known: {known or 'none'}."
            )
        self.stdout.write(services.template_export(template), ending="")
