"""`manage.py run_probes` names a release the way `gate` does."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.probes.models import ProbeConfig, ProbeRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe(release) -> ProbeConfig:
    return ProbeConfig.objects.create(
        environment=release.environment,
        name="health",
        kind="http",
        target="http://127.0.0.1:9/health/",
    )


@pytest.mark.parametrize(
    "reference",
    ["{id}", "{slug}@1.0.0", "{name}@1.0.0@{environment}"],
    ids=["id", "service@version", "service@version@environment"],
)
def test_a_run_starts_for_the_release_a_reference_names(release, probe, reference):
    out = StringIO()
    named = reference.format(
        id=release.pk,
        slug=release.service.slug,
        name=release.service.name,
        environment=release.environment.name,
    )

    call_command("run_probes", named, stdout=out)

    run = ProbeRun.objects.get(release=release)
    assert out.getvalue().startswith(f"Probe run #{run.pk} queued with 1 probes.")


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("999999", "No release has id 999999."),
        ("nothing@1.0.0", "No release matches nothing@1.0.0."),
        ("a@b@c@d", "'a@b@c@d' is not a release"),
    ],
)
def test_an_unknown_or_malformed_reference_is_exit_status_2(
    release, reference, message
):
    with pytest.raises(CommandError) as refused:
        call_command("run_probes", reference, stdout=StringIO())

    assert refused.value.returncode == 2
    assert str(refused.value).startswith(message)
    assert not ProbeRun.objects.exists()
