"""manage.py probe KIND TARGET [--timeout S] [--ca-file PEM] [--option K=V] [--json]."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, NoReturn

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.probes.kinds import KINDS, run_kind
from apps.probes.kinds.redaction import redact_target
from apps.probes.kinds.result import Result

EXIT_CODES = {"pass": 0, "warn": 0, "fail": 1, "error": 2}


class Command(BaseCommand):
    help = (
        "Run one probe and print its result: exactly one JSON object with --json. "
        f"Kinds: {', '.join(sorted(KINDS))}. Exit 0 pass or warn, 1 fail, 2 error."
    )
    # A probe reads no models, so the system checks would only slow it down.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def run_from_argv(self, argv: list[str]) -> None:
        self._argv = list(argv)
        super().run_from_argv(argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # argparse would print usage and a multi-line message; the contract is
        # one line (one JSON object with --json) and exit code 2.
        parser.error = self._usage_error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of {', '.join(sorted(KINDS))}")
        parser.add_argument("target", help="URL, host:port, DSN, namespace or name")
        parser.add_argument(
            "--timeout", default="10", help="overall deadline in seconds (default 10)"
        )
        parser.add_argument("--ca-file", dest="ca_file", help="PEM file of trusted CAs")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a kind-specific option; repeat for several",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # httpx logs each request at INFO, naming the pinned IP URL; on the
        # command line that is noise next to the one line the contract allows.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        kind, target = options["kind"], options["target"]
        try:
            result = self._run(kind, target, options)
        except Exception as error:  # The contract forbids a traceback.
            result = Result.error(f"probe command failed: {error}")
        self._print(kind, target, result, options["as_json"])
        code = EXIT_CODES[result.status]
        if code:
            raise SystemExit(code)

    def _run(self, kind: str, target: str, options: dict[str, Any]) -> Result:
        probe_options, problem = parse_options(options["option"])
        if problem:
            return Result.error(problem)
        return run_kind(
            kind,
            target,
            probe_options,
            timeout=options["timeout"],
            allow_private=getattr(settings, "PROBE_ALLOWED_NETWORKS", []),
            ca_file=options["ca_file"],
            local_credentials=True,
        )

    def _print(self, kind: str, target: str, result: Result, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result.to_dict(kind, target)))
            return
        styles = {
            "pass": self.style.SUCCESS,
            "warn": self.style.WARNING,
            "fail": self.style.ERROR,
            "error": self.style.ERROR,
        }
        label = styles[result.status](result.status.upper())
        shown = redact_target(target)
        self.stdout.write(
            f"{label} {kind} {shown}: {result.summary} ({result.duration_ms:g} ms)"
        )

    def _usage_error(self, message: str) -> NoReturn:
        argv = getattr(self, "_argv", sys.argv)
        summary = f"bad arguments: {message}"
        if "--json" in argv:
            payload = Result.error(summary).to_dict(None, None)
            sys.stdout.write(json.dumps(payload) + "\n")
        else:
            sys.stderr.write(f"ERROR probe: {summary}\n")
        raise SystemExit(2)


def parse_options(items: list[str]) -> tuple[dict[str, str], str | None]:
    """Turn repeated KEY=VALUE strings into a dict; the second value is a problem."""
    options: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            return {}, f"option {item!r} must look like KEY=VALUE"
        if key in options:
            return {}, f"option {key} is given twice"
        options[key] = value
    return options, None
