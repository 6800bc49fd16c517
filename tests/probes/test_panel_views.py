"""The release page's probe panel: starting a run, polling it, roles."""

from django.urls import reverse

from apps.probes import services
from apps.probes.models import ProbeRun

HTMX = {"HTTP_HX_REQUEST": "true"}


def _configure(release, lead, target: str) -> None:
    services.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Health",
        kind="http",
        target=target,
    )


def test_run_probes_without_probes_explains_why(client, engineer, release):
    client.force_login(engineer)
    response = client.post(reverse("probes:run", args=[release.pk]), **HTMX)
    assert response.status_code == 200
    assert "has no enabled probes" in response.text
    assert not ProbeRun.objects.exists()


def test_run_probes_records_a_run_and_shows_results(
    client, engineer, lead, release, live_server, django_capture_on_commit_callbacks
):
    _configure(release, lead, f"{live_server.url}/health/")
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("probes:run", args=[release.pk]), **HTMX)
    assert response.status_code == 200
    run = ProbeRun.objects.get()
    assert run.started_by == engineer
    panel = client.get(reverse("probes:panel", args=[release.pk]), **HTMX)
    assert panel.status_code == 200
    assert "Health" in panel.text
    assert f"Run #{run.pk}" in panel.text


def test_polling_an_unchanged_panel_answers_not_modified(client, engineer, release):
    client.force_login(engineer)
    url = reverse("probes:panel", args=[release.pk])
    first = client.get(url, **HTMX)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
    assert first.status_code == 200
    assert again.status_code == 304
    assert "no-cache" in first["Cache-Control"]


def test_running_panel_polls_and_finished_panel_stops(client, engineer, lead, release):
    _configure(release, lead, "http://127.0.0.1:9/")
    run = services.probe_run_start(release=release, by=lead)
    client.force_login(engineer)
    url = reverse("probes:panel", args=[release.pk])
    assert 'hx-trigger="every 2s"' in client.get(url, **HTMX).text
    ProbeRun.objects.filter(pk=run.pk).update(status="passed")
    finished = client.get(url, **HTMX).text
    assert 'hx-trigger="every 2s"' not in finished
    assert 'id="readiness-bar"' in finished


def test_auditor_has_no_run_button_and_cannot_start_a_run(
    client, lead, auditor, release
):
    _configure(release, lead, "http://127.0.0.1:9/")
    client.force_login(auditor)
    page = client.get(release.get_absolute_url())
    assert "Run probes" not in page.text
    response = client.post(reverse("probes:run", args=[release.pk]), **HTMX)
    assert response.status_code == 403
    assert not ProbeRun.objects.exists()


def test_another_team_cannot_see_the_panel(client, outsider, release):
    client.force_login(outsider)
    url = reverse("probes:panel", args=[release.pk])
    assert client.get(url, **HTMX).status_code == 404


def test_observed_details_load_on_demand_for_the_team_only(
    client,
    engineer,
    outsider,
    lead,
    release,
    live_server,
    django_capture_on_commit_callbacks,
):
    _configure(release, lead, f"{live_server.url}/health/")
    with django_capture_on_commit_callbacks(execute=True):
        services.probe_run_start(release=release, by=lead)
    result = ProbeRun.objects.get().results.get()
    url = reverse("probes:result", args=[result.pk])
    client.force_login(engineer)
    panel = client.get(reverse("probes:panel", args=[release.pk]), **HTMX)
    assert f"hx-get={url} " in panel.text
    observed = client.get(url, **HTMX)
    assert observed.status_code == 200
    assert '<pre class="observed">' in observed.text
    assert '"status_code": 200' in observed.text
    client.force_login(outsider)
    assert client.get(url, **HTMX).status_code == 404
