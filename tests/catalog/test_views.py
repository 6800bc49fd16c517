"""Environment settings pages: probe configurations, secrets, and testing a probe."""

from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.probes.models import ProbeConfig
from apps.probes.services import probe_config_save
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def _config(environment, lead, **fields) -> ProbeConfig:
    return probe_config_save(
        environment=environment,
        by=lead,
        name=fields.pop("name", "Health"),
        kind="http",
        target=fields.pop("target", "http://127.0.0.1:9/health/"),
        **fields,
    )


def test_environments_are_listed_for_the_team_only(client, engineer, environment):
    other = factories.EnvironmentFactory(name="elsewhere")
    client.force_login(engineer)
    response = client.get(reverse("catalog:environments"))
    assert environment.service.name in response.text
    assert "elsewhere" not in response.text
    assert (
        client.get(reverse("catalog:environment", args=[other.pk])).status_code == 404
    )


def test_lead_adds_a_probe_and_the_secret_is_never_shown(client, lead, environment):
    client.force_login(lead)
    response = client.post(
        reverse("catalog:probe-new", args=[environment.pk]),
        {
            "name": "Database",
            "kind": "postgres",
            "target": "postgres://app@127.0.0.1:5432/app",
            "options": "sslmode=disable",
            "timeout": "5",
            "enabled": "on",
            "secret": "hunter2-secret",
        },
    )
    assert response.status_code == 302
    config = ProbeConfig.objects.get(name="Database")
    assert config.has_secret and config.options == {"sslmode": "disable"}
    edit = client.get(reverse("catalog:probe-edit", args=[config.pk]))
    page = client.get(reverse("catalog:environment", args=[environment.pk]))
    for text in (edit.text, page.text):
        assert "hunter2-secret" not in text
    assert "secret: set" in page.text
    assert "hunter2" not in str(
        list(AuditEvent.objects.values_list("after", flat=True))
    )


def test_probe_form_errors_show_in_place(client, lead, environment):
    client.force_login(lead)
    response = client.post(
        reverse("catalog:probe-new", args=[environment.pk]),
        {"name": "", "kind": "http", "target": "x", "timeout": "99", "options": "bad"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "Line 1 is not KEY=VALUE." in response.text
    assert not ProbeConfig.objects.exists()


def test_editing_keeps_the_stored_secret_unless_removed(client, lead, environment):
    config = _config(environment, lead, secret="keep-me")
    client.force_login(lead)
    form = {
        "name": "Health",
        "kind": "http",
        "target": "http://127.0.0.1:9/ok",
        "timeout": "3",
    }
    client.post(reverse("catalog:probe-edit", args=[config.pk]), form)
    config.refresh_from_db()
    assert config.has_secret and config.target.endswith("/ok")
    client.post(
        reverse("catalog:probe-edit", args=[config.pk]), {**form, "remove_secret": "on"}
    )
    config.refresh_from_db()
    assert not config.has_secret


def test_engineer_cannot_manage_probes_but_can_test_them(
    client, lead, engineer, environment
):
    config = _config(environment, lead)
    client.force_login(engineer)
    page = client.get(reverse("catalog:environment", args=[environment.pk]))
    assert "Add a probe" not in page.text and "Test this probe" in page.text
    assert (
        client.get(reverse("catalog:probe-new", args=[environment.pk])).status_code
        == 403
    )
    assert (
        client.post(
            reverse("catalog:probe-edit", args=[config.pk]), {"name": "x"}
        ).status_code
        == 403
    )


def test_testing_a_probe_shows_its_result_inline(
    client, lead, environment, live_server
):
    config = _config(environment, lead, target=f"{live_server.url}/health/")
    client.force_login(lead)
    response = client.post(reverse("catalog:probe-test", args=[config.pk]), **HTMX)
    assert response.status_code == 200
    assert 'class="test-result"' in response.text
    assert "Pass" in response.text
    assert AuditEvent.objects.filter(action="probe_config.tested").exists()


def test_auditor_cannot_test_a_probe(client, lead, auditor, environment):
    config = _config(environment, lead)
    client.force_login(auditor)
    page = client.get(reverse("catalog:environment", args=[environment.pk]))
    assert "Test this probe" not in page.text
    response = client.post(reverse("catalog:probe-test", args=[config.pk]), **HTMX)
    assert response.status_code == 403
