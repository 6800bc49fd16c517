"""`manage.py events_doc`: write docs/events.md from apps/notifications/events.py.

With `--check`, write nothing and exit 1 when the file differs from what the
schemas generate (tests/notifications/test_events.py checks the same).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.notifications import events


def doc_path() -> Path:
    """Where the generated page lives: docs/events.md of the checkout."""
    return Path(settings.BASE_DIR) / "docs" / "events.md"


class Command(BaseCommand):
    help = "Write docs/events.md from the event schemas (--check: only compare)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Fail if docs/events.md is stale."
        )

    def handle(self, *args: object, check: bool = False, **options: object) -> None:
        path, text = doc_path(), events.markdown()
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(f"{path} is stale: run `manage.py events_doc`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
