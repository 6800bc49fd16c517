"""A failing probe's result leads to the matching runbook entry and the contacts."""

import pytest

from apps.checklists.models import RunbookEntry
from apps.contacts.models import Contact
from apps.probes import selectors
from tests.policy.conftest import finished_run, probe_config

pytestmark = pytest.mark.django_db


def test_a_failing_postgres_probe_shows_the_database_runbook_and_contacts(
    release, environment
):
    Contact.objects.create(
        team=release.team, service=release.service, role="DBA on call", name="Ana"
    )
    database = probe_config(
        environment, "Database", kind="postgres", target="postgres://db/app"
    )
    health = probe_config(environment, "Health endpoint")
    run = finished_run(
        release,
        [(database, "fail", "connection timed out"), (health, "pass", "200 OK")],
    )

    help_ = selectors.failure_help(release, list(run.results.all()))

    assert [row["result"].name for row in help_["results"]] == ["Database"]
    assert [e.problem for e in help_["results"][0]["runbook"]] == [
        "Database connection timeout"
    ]
    assert (
        "kubectl get pods -l app=postgres" in help_["results"][0]["runbook"][0].commands
    )
    assert [c.role for c in help_["contacts"]] == ["DBA on call"]


def test_an_entry_s_own_links_replace_the_default_ones(release, environment):
    RunbookEntry.objects.filter(
        template=release.template, problem__icontains="Celery"
    ).update(probe_kinds=["http"])
    health = probe_config(environment, "Health endpoint")
    run = finished_run(release, [(health, "fail", "status 503")])

    entries = selectors.runbook_for_result(run.results.get(), release)

    assert [e.problem for e in entries] == [
        "Frontend not loading",
        "Celery tasks not processing",
    ]


def test_a_passing_probe_needs_no_runbook(release, environment):
    health = probe_config(environment, "Health endpoint")
    run = finished_run(release, [(health, "pass", "200 OK")])

    assert selectors.runbook_for_result(run.results.get(), release) == []


def test_a_failing_result_page_shows_its_runbook_and_whom_to_call(
    client, release, environment, engineer
):
    Contact.objects.create(
        team=release.team,
        service=release.service,
        role="DBA on call",
        name="Ana",
        phone="+1 555 0199",
    )
    database = probe_config(
        environment, "Database", kind="postgres", target="postgres://db/app"
    )
    run = finished_run(release, [(database, "fail", "connection timed out")])
    result = run.results.get()
    client.force_login(engineer)

    text = client.get(f"/probe-results/{result.pk}/").text

    assert "Runbook: Database connection timeout" in text
    assert "kubectl get pods -l app=postgres" in text
    assert 'href="tel:+1 555 0199"' in text
    assert "DBA on call: Ana" in text
