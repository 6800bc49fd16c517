"""GitHub custom deployment protection rules, end to end against the stand-in.

The stand-in (tests/standins/github.py, github_webhooks.py) speaks GitHub's
paths, headers and payloads: octokit/webhooks' deployment_protection_rule
`requested` schema, X-Hub-Signature-256 as docs.github.com "Validating webhook
deliveries" describes it, `POST /app/installations/{id}/access_tokens` and
`POST .../actions/runs/{run_id}/deployment_protection_rule`
(actions/review-custom-gates-for-run in github/rest-api-description). Tasks run
eagerly on commit, as a worker would run them.
"""

import logging
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.integrations import github, services
from apps.integrations.models import GateRequest, WebhookDelivery
from apps.policy.models import FreezeWindow
from apps.releases import services as release_services
from apps.releases.models import Release
from apps.signoffs import services as signoff_services
from tests import factories
from tests.api.conftest import make_ready
from tests.integrations.conftest import REPOSITORY
from tests.policy.conftest import ready_but_one
from tests.standins import github_webhooks as payloads
from tests.standins.loopback import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.mark.parametrize("signature", ["wrong", "missing", "sha1-only"])
def test_a_badly_signed_delivery_is_refused_and_writes_nothing(
    deliver, mapping, github_app, signature
):
    run = github_app.add_waiting_run(REPOSITORY)
    events = AuditEvent.objects.count()
    _, response = deliver(run, signature=signature)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not Release.objects.exists()
    assert not GateRequest.objects.exists()
    assert AuditEvent.objects.count() == events
    assert github_app.calls == []


def test_a_blocked_release_holds_the_deploy_until_a_tick_clears_the_last_blocker(
    deliver, mapping, github_app, lead, client, django_capture_on_commit_callbacks
):
    run = github_app.add_waiting_run(REPOSITORY, sha="a1b2c3d4" * 5)
    _, response = deliver(run, ref="v2.4.1")
    assert response.status_code == 202

    release = Release.objects.get()
    assert (release.version, release.environment) == ("v2.4.1", mapping.environment)
    assert release.gate_request["sha"] == "a1b2c3d4" * 5
    assert release.gate_request["run_id"] == run.id
    assert release.gate_request["installation_id"] == 31337
    assert release.gate_request["callback_url"] == github_app.callback_url(
        REPOSITORY, run.id
    )
    [comment] = github_app.status_reports(run.id)
    assert comment["environment_name"] == "production"
    assert comment["comment"].startswith("**Shipshape: not ready**, score ")
    assert f"/releases/{release.pk}/" in comment["comment"]
    assert github_app.decisions(run.id) == []

    left = ready_but_one(release, lead)
    services.github_gates_reconcile()  # beat re-judges: still blocked
    assert github_app.decisions(run.id) == []
    assert github_app.runs[run.id].status == "waiting"

    client.force_login(lead)
    page = client.get(release.get_absolute_url())
    assert "Held by GitHub" in page.content.decode()
    assert str(run.id) in page.content.decode()
    record = client.get(f"/records/releases/{release.pk}/").content.decode()
    assert "a1b2c3d4" * 5 in record
    assert response["Content-Type"] == "application/json"

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("releases:item-state", args=[left.pk]), {"state": "done"})
    decision = github_app.wait_for_decision(run.id, timeout=5)
    assert time.monotonic() - started < 5
    assert decision["state"] == "approved"
    assert "is ready" in decision["comment"]
    assert github_app.runs[run.id].status == "in_progress"
    assert GateRequest.objects.get().state == "approved"
    assert AuditEvent.objects.filter(
        action="gate_request.approved", release_id=release.pk
    ).exists()
    assert github_app.tokens_issued() == 1


def test_a_redelivered_webhook_makes_no_second_release_or_decision(
    deliver, mapping, github_app, lead, django_capture_on_commit_callbacks
):
    run = github_app.add_waiting_run(REPOSITORY)
    request, first = deliver(run, ref="main")
    release = Release.objects.get()
    assert release.version == run.head_sha[:7]
    with django_capture_on_commit_callbacks(execute=True):
        left = ready_but_one(release, lead)
        release_services.release_item_set_state(item=left, state="done", by=lead)
    assert github_app.wait_for_decision(run.id)["state"] == "approved"

    _, again = deliver(run, request=request)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert Release.objects.count() == 1
    assert GateRequest.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert len(github_app.decisions(run.id)) == 1


def test_a_rejected_signoff_rejects_the_deploy(
    deliver, mapping, github_app, engineer, django_capture_on_commit_callbacks
):
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    release = Release.objects.get()
    role = release.signoff_roles[0]["key"]
    with django_capture_on_commit_callbacks(execute=True):
        signoff_services.signoff_record(
            release=release,
            role_key=role,
            decision="reject",
            comment="Not with that migration",
            by=engineer,
        )
    decision = github_app.wait_for_decision(run.id)
    assert decision["state"] == "rejected"
    assert github_app.runs[run.id].conclusion == "failure"


def test_a_cancelled_release_rejects_the_deploy(
    deliver, mapping, github_app, lead, django_capture_on_commit_callbacks
):
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    release = Release.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_transition(
            release=release, target="cancelled", by=lead, reason="Wrong build"
        )
    decision = github_app.wait_for_decision(run.id)
    assert decision["state"] == "rejected"
    assert "cancelled" in decision["comment"]


def test_the_reconciler_answers_a_run_whose_delivery_was_lost(
    mapping, github_app, lead, django_capture_on_commit_callbacks
):
    mapping.installation_id = 31337
    mapping.save()
    run = github_app.add_waiting_run(REPOSITORY, head_branch="main")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.github_gates_reconcile()
    assert outcome["opened"] == 1
    release = Release.objects.get()
    assert release.version == run.head_sha[:7]
    assert release.gate_request["delivery_id"] == ""
    assert len(github_app.status_reports(run.id)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        left = ready_but_one(release, lead)
        release_services.release_item_set_state(item=left, state="done", by=lead)
    assert github_app.wait_for_decision(run.id)["state"] == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.github_gates_reconcile()
    assert again["opened"] == 0
    assert GateRequest.objects.count() == 1


def test_a_delivery_for_an_unmapped_repository_creates_nothing(
    deliver, github_app, environment
):
    run = github_app.add_waiting_run("octo-org/other")
    _, response = deliver(run)
    assert response.status_code == 202
    assert not Release.objects.exists()
    assert WebhookDelivery.objects.get().outcome.startswith("No mapping")


def test_the_key_the_secret_and_tokens_reach_no_log_line(
    deliver, mapping, github_app, caplog
):
    caplog.set_level(logging.DEBUG)
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    deliver(run, signature="wrong")
    assert github_app.tokens
    logged = caplog.text
    for secret in [
        *github_app.tokens,
        "github-webhook-secret-for-tests",
        github_app.private_key_pem.splitlines()[1],
    ]:
        assert secret not in logged


def test_release_version_is_the_tag_or_the_short_sha():
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert services.release_version("refs/tags/v1.4.0", sha) == "v1.4.0"
    assert services.release_version("v1.4.0", sha) == "v1.4.0"
    assert services.release_version("2.0.1-rc1", sha) == "2.0.1-rc1"
    assert services.release_version("main", sha) == "0123456"
    assert services.release_version("refs/heads/release/1.4", sha) == "0123456"


def test_the_last_signoff_approves_the_deploy(
    deliver, mapping, github_app, lead, client_for, django_capture_on_commit_callbacks
):
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    release = Release.objects.get()
    for item in release.items.all():
        if item.gates_readiness:
            release_services.release_item_set_state(item=item, state="done", by=lead)
    *first, last = release.signoff_roles
    for role in first:
        signoff_services.signoff_record(
            release=release,
            role_key=role["key"],
            decision="approve",
            by=factories.member(release.team, "engineer"),
        )
    assert github_app.decisions(run.id) == []
    signer = factories.member(release.team, "engineer")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(signer).post(
            "/api/v1/signoffs/",
            {"release": release.pk, "role_key": last["key"], "decision": "approve"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert github_app.wait_for_decision(run.id)["state"] == "approved"
    assert time.monotonic() - started < 5


def test_a_frozen_environment_holds_the_deploy_until_the_freeze_ends(
    deliver, mapping, github_app, release, lead, django_capture_on_commit_callbacks
):
    make_ready(release, lead)
    now = timezone.now()
    freeze = FreezeWindow.objects.create(
        environment=release.environment,
        name="Year end",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run, ref=release.version)
    assert Release.objects.count() == 1
    [comment] = github_app.status_reports(run.id)
    assert "is frozen until" in comment["comment"]
    assert github_app.decisions(run.id) == []

    FreezeWindow.objects.filter(pk=freeze.pk).update(ends_at=now - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.github_gates_reconcile()
    assert github_app.wait_for_decision(run.id)["state"] == "approved"


def test_github_unreachable_fails_no_tick_and_beat_answers_later(
    deliver, mapping, github_app, lead, client, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    release = Release.objects.get()
    left = ready_but_one(release, lead)
    github._tokens.clear()
    settings.GITHUB_API_URL = f"http://127.0.0.1:{free_port()}"
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("releases:item-state", args=[left.pk]), {"state": "done"}
        )
    assert response.status_code == 302
    assert GateRequest.objects.get().state == "waiting"
    assert github_app.decisions(run.id) == []

    settings.GITHUB_API_URL = github_app.url
    with django_capture_on_commit_callbacks(execute=True):
        services.github_gates_reconcile()
    assert github_app.wait_for_decision(run.id)["state"] == "approved"


def test_github_reports_the_deployment_on_the_release(
    deliver, mapping, github_app, github_webhooks, client, lead,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    run = github_app.add_waiting_run(REPOSITORY)
    deliver(run)
    release = Release.objects.get()
    status = payloads.deployment_status_created(
        state="failure", sha=run.head_sha, deployment_id=99, run_id=run.id
    )
    request = github_webhooks.build("deployment_status", status)
    deliver(run, request=request)
    release.refresh_from_db()
    assert release.gate_request["deployment_status"] == "failure"
    assert release.gate_request["run_id"] == run.id
    assert AuditEvent.objects.filter(
        action="release.deployment_reported", release_id=release.pk
    ).exists()
    client.force_login(lead)
    record = client.get(f"/records/releases/{release.pk}/").content.decode()
    assert "GitHub reported the deployment" in record


def test_a_callback_url_outside_the_configured_api_gets_no_token(
    deliver, mapping, github_app, github_webhooks
):
    run = github_app.add_waiting_run(REPOSITORY)
    payload = payloads.deployment_protection_rule_requested(
        api_url="https://api.github.example.net",
        run_id=run.id,
        sha=run.head_sha,
    )
    request = github_webhooks.build("deployment_protection_rule", payload)
    _, response = deliver(run, request=request)
    assert response.status_code == 202
    assert "callback URL" in WebhookDelivery.objects.get().outcome
    assert not Release.objects.exists()
    assert github_app.calls == []
