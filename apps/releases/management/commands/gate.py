"""`manage.py gate RELEASE`: the readiness gate for deploy pipelines.

Exit status 0 when the release is ready, 1 when it is not, 2 when it does not
exist or the argument is malformed. RELEASE is an id or
service@version[@environment], where service is the service's slug or name.
A lead's override never opens the gate: the exit status is the verdict, and the
override (who, when, why, the blockers it overrode) is printed beside it.
"""

import json
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from apps.releases.models import Release
from apps.releases.readiness import compute_readiness

READY, NOT_READY, MISSING = 0, 1, 2
_ID = re.compile(r"^[0-9]{1,18}$")


def find_release(reference: str) -> Release:
    """The release an id or service@version[@environment] names; CommandError else."""
    reference = reference.strip()
    if _ID.match(reference):
        release = Release.objects.filter(pk=int(reference)).first()
        if release is None:
            raise CommandError(f"No release has id {reference}.", returncode=MISSING)
        return release
    parts = reference.split("@")
    if len(parts) not in (2, 3) or not all(part.strip() for part in parts):
        raise CommandError(
            f"{reference!r} is not a release: give an id or "
            "service@version[@environment].",
            returncode=MISSING,
        )
    service, version, *environment = (part.strip() for part in parts)
    releases = Release.objects.filter(
        Q(service__slug=service) | Q(service__name=service), version=version
    ).select_related("service", "environment")
    if environment:
        releases = releases.filter(environment__name=environment[0])
    live = [r for r in releases if r.status != Release.Status.CANCELLED]
    candidates = live or list(releases)
    if not candidates:
        raise CommandError(f"No release matches {reference}.", returncode=MISSING)
    if len(candidates) > 1:
        names = ", ".join(sorted(r.environment.name for r in candidates))
        raise CommandError(
            f"{reference} matches releases to several environments ({names}); "
            "add @environment.",
            returncode=MISSING,
        )
    return candidates[0]


class Command(BaseCommand):
    help = "Print whether a release is ready to deploy; exit 0 ready, 1 not, 2 missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release", help="id or service@version[@environment]")
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"ready", "score", "blockers", "override"} as the API does',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        release = find_release(options["release"])
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
