"""Verification windows start by themselves when a release is marked deployed,
with its environment's settings (off by default), set in a page or the API."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.policy import verification
from apps.policy.models import VerificationSettings, VerificationWindow
from apps.releases import services as release_services
from tests.policy.conftest import probe_config

pytestmark = pytest.mark.django_db


def _deploy(release, lead):
    return release_services.release_transition(
        release=release, target="deployed", by=lead, override=True, reason="Hotfix"
    )


def _turn_on(environment, lead, **fields):
    values = {
        "enabled": True,
        "duration_seconds": 300,
        "interval_seconds": 20,
        "failure_limit": 1,
        "consecutive_successes": 4,
        **fields,
    }
    return verification.verification_settings_save(
        environment=environment, by=lead, **values
    )


def test_a_release_marked_deployed_starts_its_environments_window(
    release, environment, lead
):
    config = probe_config(environment, "Health")
    probe_config(environment, "Backups", kind="postgres", target="postgres://db/x")
    _turn_on(environment, lead)

    _deploy(release, lead)

    window = VerificationWindow.objects.get(release=release)
    assert window.config_ids == [config.pk]
    assert (
        window.duration_seconds,
        window.interval_seconds,
        window.failure_limit,
        window.consecutive_successes,
    ) == (300, 20, 1, 4)
    assert window.started_by is None
    event = AuditEvent.objects.get(action="verification.started")
    assert event.actor_label == "system"


def test_verification_is_off_by_default(release, environment, lead):
    probe_config(environment, "Health")

    _deploy(release, lead)

    assert not VerificationWindow.objects.exists()
    assert verification.verification_settings_for(environment).enabled is False


def test_a_deploy_without_probes_to_measure_goes_through_unverified(
    release, environment, lead
):
    _turn_on(environment, lead)

    deployed = _deploy(release, lead)

    assert deployed.status == "deployed"
    assert not VerificationWindow.objects.exists()


def test_a_lead_turns_verification_on_in_the_environments_page(
    client, environment, lead
):
    probe_config(environment, "Health")
    client.force_login(lead)
    url = reverse("policy:verification-settings", args=[environment.pk])
    before = client.get(url).text

    saved = client.post(
        url,
        {
            "enabled": "on",
            "duration_seconds": "900",
            "interval_seconds": "60",
            "failure_limit": "2",
            "consecutive_successes": "5",
        },
        follow=True,
    )
    too_short = client.post(
        url,
        {
            "enabled": "on",
            "duration_seconds": "10",
            "interval_seconds": "60",
            "failure_limit": "0",
            "consecutive_successes": "1",
        },
    )

    assert "releases are not verified after deploy" in before
    assert "Measured with" in before and "Health" in before
    assert "Verification settings saved." in saved.text
    assert "every 60 s for 900 s,\n  2 failures allowed" in saved.text
    settings = VerificationSettings.objects.get(environment=environment)
    assert (settings.enabled, settings.duration_seconds) == (True, 900)
    assert "Last at least one interval and at most a day." in too_short.text
    settings.refresh_from_db()
    assert settings.duration_seconds == 900
    event = AuditEvent.objects.get(action="verification_settings.changed")
    assert event.after["enabled"] is True


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_see_but_cannot_change_verification(
    client, environment, team, role
):
    from tests import factories

    client.force_login(factories.member(team, role))
    url = reverse("policy:verification-settings", args=[environment.pk])

    page = client.get(url)
    posted = client.post(url, {"enabled": "on", "duration_seconds": "60"})

    assert page.status_code == 200
    assert "Save verification settings" not in page.text
    assert posted.status_code == 403
    assert not VerificationSettings.objects.exists()


def test_another_team_cannot_see_or_set_verification(client, environment, outsider):
    client.force_login(outsider)
    url = reverse("policy:verification-settings", args=[environment.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"enabled": "on"}).status_code == 404


def test_the_api_sets_verification_on_deploy(client_for, environment, lead, engineer):
    path = f"/api/v1/verification-settings/{environment.pk}/"
    body = {"enabled": True, "duration_seconds": 120, "interval_seconds": 10}

    refused = client_for(engineer).put(path, body, format="json")
    saved = client_for(lead).put(path, body, format="json")
    listed = client_for(engineer).get("/api/v1/verification-settings/")

    assert refused.status_code == 403
    assert saved.status_code == 200
    assert saved.json()["enabled"] is True
    assert saved.json()["consecutive_successes"] == 3
    assert [row["environment"] for row in listed.json()["results"]] == [environment.pk]


def test_an_environment_never_set_answers_the_defaults_as_its_schema_says(
    client, client_for, environment, engineer
):
    answer = client_for(engineer).get(
        f"/api/v1/verification-settings/{environment.pk}/"
    )
    schema = client.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["VerificationSettings"]["properties"]

    assert answer.status_code == 200
    assert answer.json()["enabled"] is False
    assert answer.json()["updated_at"] is None  # never saved
    assert fields["updated_at"]["nullable"] is True


def test_the_release_page_charts_a_window_and_polls_it_while_it_measures(
    client, release, environment, lead
):
    from datetime import timedelta

    from django.utils import timezone

    from apps.policy.models import VerificationSample

    config = probe_config(environment, "Health")
    _turn_on(environment, lead)
    _deploy(release, lead)
    window = VerificationWindow.objects.get()
    now = timezone.now()
    for seq, (status, verdict, latency) in enumerate(
        [
            ("pass", "success", 120),
            ("fail", "failure", 480),
            ("error", "no_data", None),
        ],
        start=1,
    ):
        VerificationSample.objects.create(
            window=window,
            seq=seq,
            config_id=config.pk,
            name=config.name,
            kind="http",
            status=status,
            verdict=verdict,
            summary="",
            observed={} if latency is None else {"latency_ms": latency},
            taken_at=now + timedelta(seconds=seq),
        )
    client.force_login(lead)
    poll = reverse("policy:panel", args=[release.pk])

    page = client.get(release.get_absolute_url()).text
    fragment = client.get(poll, HTTP_HX_REQUEST="true")
    plain = client.get(poll)
    VerificationWindow.objects.update(outcome="passed")
    settled = client.get(poll, HTTP_HX_REQUEST="true").text

    summary = "3 measurements: 1 succeeded, 1 failed, 1 without data; slowest 480 ms"
    assert f'<title\n  id="chart-{window.pk}">{summary}</title>' in page
    chart = page.split('<figure\n  class="verification-chart">')[1].split("</figure>")[
        0
    ]
    assert chart.count("<rect ") == 3
    assert 'fill="#b3261e"' in page and 'height="40.0"' in page
    assert "<title>#1: success, 120 ms</title>" in page
    release.refresh_from_db()
    polled = f'hx-get="{poll}?seen={release.revision}"\n  hx-trigger="every 10s"'
    assert polled in page
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert summary in fragment.text
    assert plain.status_code == 302
    assert 'hx-trigger="every 10s"' not in settled
