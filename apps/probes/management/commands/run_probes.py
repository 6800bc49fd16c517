"""manage.py run_probes RELEASE [--wait]: verify a release with its probes.

RELEASE is an id or service@version[@environment], as `gate` reads it. Exit
status 2 when no release matches, 1 when the run failed or errored.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.probes import services
from apps.probes.models import ProbeRun
from apps.releases.selectors import ReleaseNotFound, release_find


class Command(BaseCommand):
    help = "Start a probe run for a release; --wait prints its results."

    def add_arguments(self, parser) -> None:
        parser.add_argument("release", help="id or service@version[@environment]")
        parser.add_argument("--wait", action="store_true", help="wait for the run")
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args, release: str, wait: bool, timeout: float, **options):
        try:
            target = release_find(release)
        except ReleaseNotFound as missing:
            raise CommandError(str(missing), returncode=2) from None
        try:
            run = services.probe_run_start(release=target, by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Probe run #{run.pk} queued with {run.total} probes.")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.finished:
                break
            time.sleep(0.2)
        else:
            raise CommandError(
                f"Probe run #{run.pk} did not finish in {timeout:.0f} s."
            )
        for result in run.results.order_by("name"):
            self.stdout.write(f"  {result.status:<5} {result.name}: {result.summary}")
        self.stdout.write(
            f"Run #{run.pk} {run.get_status_display().lower()}: {run.passed} passed, "
            f"{run.warned} warned, {run.failed} failed, {run.errored} errored."
        )
        if run.status in (ProbeRun.Status.FAILED, ProbeRun.Status.ERRORED):
            raise SystemExit(1)
