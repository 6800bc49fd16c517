"""manage.py import_checklist FILE.md [--name NAME]: a new template version."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.checklists import services
from apps.checklists.models import TemplateItem

MAX_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "Import a Markdown checklist as a new version of a template."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Markdown file in the seed checklist's format")
        parser.add_argument("--name", default="", help="template name (default: title)")

    def handle(self, *args, file: str, name: str, **options) -> None:
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        if len(raw) > MAX_BYTES:
            raise CommandError(f"{file} is larger than {MAX_BYTES // 1024} KiB.")
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file} is not UTF-8 text (byte {error.start} is not valid)."
            ) from None
        try:
            template = services.template_import(source=source, name=name, by=None)
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "message_dict") else {}
            text = "; ".join(m for msgs in messages.values() for m in msgs) or str(
                error
            )
            raise CommandError(f"{file}: {text}. Nothing was imported.") from None
        items = TemplateItem.objects.filter(phase__template=template).count()
        self.stdout.write(
            f"Imported {template} with {items} items and "
            f"{template.signoff_roles.count()} sign-off roles."
        )
