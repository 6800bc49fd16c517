"""`verify_audit [--since DATE] [--published SEQ:HASH]`: prove the audit chain intact.

Exit status 0 and a count when intact; 1 naming the first broken event and what
is wrong; 2 on bad input. Read-only: it can run under a SELECT-only role.
"""

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit import verification

PUBLISHED = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since takes a date as YYYY-MM-DD, not {text!r}.", returncode=2
        ) from None


def _published(text: str) -> tuple[int, str]:
    match = PUBLISHED.match(text.strip().lower())
    if not match:
        raise CommandError(
            "--published takes SEQ:HASH as logged by the head publication, "
            f"e.g. 1234:{'0' * 64}; got {text!r}.",
            returncode=2,
        )
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = "Walk the audit hash chain and report the first broken event."
    # It only reads the audit tables, and must answer even where another app's
    # configuration would fail a system check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since", metavar="DATE", help="start at the first event of this day"
        )
        parser.add_argument(
            "--published",
            metavar="SEQ:HASH",
            help="also check that this published head is still in the chain",
        )

    def handle(self, *args, **options) -> None:
        since = _day(options["since"]) if options["since"] else None
        published = _published(options["published"]) if options["published"] else None
        report = verification.chain_verify(since=since, published=published)
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_seq}: {report.problem} "
                f"({report.checked} events before it are intact).",
                returncode=1,
            )
        scope = f" since {since.isoformat()}" if since else ""
        self.stdout.write(
            f"Audit chain intact: {report.checked} events checked{scope}; "
            f"head #{report.last_seq} {report.last_hash}."
        )
