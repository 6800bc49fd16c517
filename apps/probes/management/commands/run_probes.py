"""manage.py run_probes RELEASE [--wait]: verify a release with its probes."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.probes import services
from apps.probes.models import ProbeRun
from apps.releases.models import Release


class Command(BaseCommand):
    help = "Start a probe run for a release (by id); --wait prints its results."

    def add_arguments(self, parser) -> None:
        parser.add_argument("release", help="release id")
        parser.add_argument("--wait", action="store_true", help="wait for the run")
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args, release: str, wait: bool, timeout: float, **options):
        try:
            target = Release.objects.select_related("environment").get(pk=int(release))
        except (ValueError, Release.DoesNotExist):
            raise CommandError(f"No release with id {release!r}.") from None
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
