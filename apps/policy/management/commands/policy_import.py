"""`manage.py policy_import FILE --user NAME`: apply a policy file, all or nothing."""

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.policy import policyfile


class Command(BaseCommand):
    help = "Validate and apply a readiness policy YAML file in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the YAML file, or - for standard input")
        parser.add_argument(
            "--user", required=True, help="the lead the changes are made as"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}.")
        path = options["file"]
        text = (
            sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        )
        try:
            counts = policyfile.policy_import(
                text, by=user, actor_label=f"policy_import {Path(path).name}"
            )
        except policyfile.PolicyFileError as error:
            raise CommandError(
                "Nothing was changed:\n" + "\n".join(error.problems)
            ) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Applied: {counts['probes']} probes, {counts['freeze_windows']} freeze "
            f"windows, {counts['items_changed']} item severities changed."
        )
        if "template_copied_from" in counts:
            self.stdout.write(
                f"The template changes made your team's own version "
                f"{counts['template']} (a copy of {counts['template_copied_from']}, "
                "which is unchanged); your team's new releases use it."
            )
