"""`manage.py gate RELEASE`: the readiness gate for deploy pipelines.

Exit status 0 when the release is ready, 1 when it is not, 2 when it does not
exist, the argument is malformed or the gate cannot answer. RELEASE is an id or
service@version[@environment], where service is the service's slug or name.
With --json, every answer is one JSON object on stdout, errors included:
{"error": "...", "ready": false}. A lead's override never opens the gate: the exit
status is the verdict, and the override (who, when, why, the blockers it overrode)
is printed beside it.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.readiness.readiness import compute_readiness
from apps.releases.selectors import ReleaseNotFound, release_find

READY, NOT_READY, MISSING = 0, 1, 2


class Command(BaseCommand):
    help = "Print whether a release is ready to deploy; exit 0 ready, 1 not, 2 missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release", help="id or service@version[@environment]")
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"ready", "score", "blockers", "override"} as the API does '
            '({"error", "ready": false} when it cannot)',
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # Read before parsing, so that a usage error can answer in JSON too.
        self.wants_json = "--json" in argv[2:]
        super().run_from_argv(argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        usage_error = parser.error

        def error(message: str) -> None:
            if getattr(self, "wants_json", False):
                self._print_error(message)
            usage_error(message)

        parser.error = error
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        """Run the gate; with --json, any failure is printed as JSON, exit 2."""
        if not options.get("json"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except Exception as error:  # every failure: a pipeline reads stdout
            message = str(error) or type(error).__name__
            self._print_error(message)
            raise CommandError(message, returncode=MISSING) from error

    def _print_error(self, message: str) -> None:
        self.stdout.write(json.dumps({"error": message, "ready": False}))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            release = release_find(options["release"])
        except ReleaseNotFound as missing:
            raise CommandError(str(missing), returncode=MISSING) from None
        readiness = compute_readiness(release)
        override = release.override
        if options["json"]:
            self.stdout.write(json.dumps({**readiness.as_dict(), "override": override}))
        else:
            verdict = "READY" if readiness.ready else "NOT READY"
            self.stdout.write(
                f"{verdict}: {release.service.name} {release.version} → "
                f"{release.environment.name} (release {release.pk}, "
                f"score {readiness.score}/100)"
            )
            for blocker in readiness.blockers:
                self.stdout.write(f"- [{blocker.type}] {blocker.text}")
            if override:
                self.stdout.write(
                    f"OVERRIDE: {release.status_label} by {override['by']} at "
                    f"{override['at']}, against {len(override['blockers'])} "
                    f"blocker(s): {override['reason']}"
                )
        if not readiness.ready:
            sys.exit(NOT_READY)
