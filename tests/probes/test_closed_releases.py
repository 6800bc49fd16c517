"""Probe runs gather evidence only while a release is open: a deployed, rolled-back
or cancelled release refuses them on the page, over the API and in run_probes,
and a run that finishes after the deployment cannot rewrite what was deployed."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.probes import services
from apps.probes.models import ProbeRun
from apps.releases import services as releases
from apps.releases.models import Release
from tests.api.conftest import client_for
from tests.probes.conftest import add_result, configure

__all__ = ["client_for"]  # the API tests' fixture: a client with a real token
S = Release.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def _configure(release, lead, verifies: tuple[str, ...] = ()):
    return configure(
        release.environment,
        lead,
        release.template,
        "Health",
        "http://127.0.0.1:9/",
        verifies,
    )


def _close(release, lead, status: str) -> Release:
    """Deploy (a lead's override), roll back or cancel the release."""
    if status == S.CANCELLED:
        return releases.release_transition(
            release=release, target=S.CANCELLED, by=lead, reason="Superseded"
        )
    release = releases.release_transition(
        release=release,
        target=S.DEPLOYED,
        by=lead,
        override=True,
        reason="Hotfix for an outage",
    )
    if status == S.ROLLED_BACK:
        release = releases.release_transition(
            release=release, target=S.ROLLED_BACK, by=lead, reason="Errors rose"
        )
    return release


@pytest.mark.parametrize("status", [S.DEPLOYED, S.ROLLED_BACK, S.CANCELLED])
def test_a_closed_release_refuses_a_probe_run(release, lead, status):
    _configure(release, lead)
    release = _close(release, lead, status)

    with pytest.raises(ValidationError) as refused:
        services.probe_run_start(release=release, by=lead)

    message = " ".join(refused.value.messages)
    assert f"This release is {S(status).label.lower()}" in message
    assert "probes run only for open releases" in message
    assert not ProbeRun.objects.exists()
    assert not AuditEvent.objects.filter(action="probe_run.started").exists()


def test_the_api_answers_409_with_the_reason(client_for, engineer, lead, release):
    _configure(release, lead)
    _close(release, lead, S.DEPLOYED)

    response = client_for(engineer).post(
        "/api/v1/probe-runs/", {"release": release.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This release is deployed: probes run only for open releases "
        "(draft, in progress, ready). A verification window checks a deployed "
        "release."
    }
    assert not ProbeRun.objects.exists()


def test_the_page_shows_the_reason_and_no_run_button(client, engineer, lead, release):
    _configure(release, lead)
    _close(release, lead, S.CANCELLED)
    client.force_login(engineer)

    page = client.get(release.get_absolute_url())
    posted = client.post(reverse("probes:run", args=[release.pk]), **HTMX)

    assert page.status_code == 200
    assert "Run probes</button>" not in page.text
    assert "This release is cancelled: probes run only for open releases" in page.text
    assert posted.status_code == 200
    assert "This release is cancelled" in posted.text
    assert not ProbeRun.objects.exists()


def test_run_probes_exits_non_zero_with_the_reason(release, lead):
    _configure(release, lead)
    _close(release, lead, S.ROLLED_BACK)

    with pytest.raises(CommandError, match="This release is rolled back"):
        call_command("run_probes", str(release.pk))
    assert not ProbeRun.objects.exists()


def test_an_open_release_still_runs_probes(release, lead):
    _configure(release, lead)
    releases.release_transition(release=release, target=S.DRAFT, by=lead)

    run = services.probe_run_start(release=release, by=lead)

    assert run.status == "queued"


def test_a_run_finishing_after_deployment_leaves_deployed_items_alone(
    release, lead, engineer
):
    """A run started while the release was open and finished after it was deployed
    records its results, but a pre-deployment item is final, for evidence as for
    a person; a post-deployment check may still be verified."""
    config = _configure(
        release, lead, ("Configure security headers", "Security headers present")
    )
    run = services.probe_run_start(release=release, by=lead)
    before = release.items.get(text="Configure security headers")
    releases.release_item_set_state(item=before, state="done", by=engineer)
    _close(release, lead, S.DEPLOYED)
    add_result(run, config, "fail", "connection refused")

    assert services.probe_run_finish_if_complete(run_id=run.pk) is True

    pre = release.items.get(text="Configure security headers")
    post = release.items.get(text="Security headers present")
    assert (pre.state, pre.changed_by) == ("done", engineer)
    assert pre.evidence_result_id is None
    assert (post.state, post.note) == ("blocked", "Health: connection refused")
    changed = AuditEvent.objects.filter(
        action="release_item.state_changed", actor_label=f"probe run #{run.pk}"
    )
    assert [event.target_id for event in changed] == [str(post.pk)]
