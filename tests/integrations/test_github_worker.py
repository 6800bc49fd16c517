"""The GitHub gate with a real Celery worker: the webhook answers at once and the
worker (a `celery worker` process on real Redis and the test database) does the
rest, against the GitHub stand-in (tests/standins/github.py)."""

import time

import pytest
from django.urls import reverse

from apps.integrations.models import WebhookDelivery
from apps.releases.models import Release
from tests.integrations.conftest import REPOSITORY
from tests.policy.conftest import ready_but_one
from tests.probes.conftest import celery_broker, start_worker, wait_for
from tests.standins import github_webhooks as payloads

__all__ = ["celery_broker", "start_worker"]
pytestmark = pytest.mark.postgres


@pytest.fixture
def worker_env(monkeypatch, settings, github_app):
    """The worker process reads the same GitHub App settings from its environment."""
    for name in (
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_API_URL",
        "GITHUB_WEBHOOK_SECRET",
        "SITE_URL",
    ):
        monkeypatch.setenv(name, str(getattr(settings, name)))


def test_a_worker_holds_the_deploy_and_approves_it_within_5_s_of_the_last_tick(
    worker_env, mapping, github_app, github_webhooks, lead, client, start_worker
):
    start_worker(["celery"])
    run = github_app.add_waiting_run(REPOSITORY)
    payload = payloads.deployment_protection_rule_requested(
        api_url=github_app.url, run_id=run.id, sha=run.head_sha, ref="v3.0.0"
    )
    request = github_webhooks.build("deployment_protection_rule", payload)
    # GitHub's ping first, as after installing the app: it warms the process
    # (URLs, middleware) so the time below is the delivery's own.
    ping = github_webhooks.build("ping", {"zen": "Keep it logically awesome."})
    pong = client.post("/integrations/github/webhook", **ping.django_kwargs())
    assert pong.status_code == 200
    started = time.monotonic()
    response = client.post("/integrations/github/webhook", **request.django_kwargs())
    assert response.status_code == 202
    assert time.monotonic() - started < 1
    assert WebhookDelivery.objects.filter(processed_at=None).count() == 1

    release = wait_for(lambda: Release.objects.filter(version="v3.0.0").first(), 30)
    github_app.wait_until(
        lambda: github_app.status_reports(run.id), timeout=30, what="a comment"
    )
    left = ready_but_one(release, lead)
    assert github_app.decisions(run.id) == []

    client.force_login(lead)
    started = time.monotonic()
    client.post(reverse("releases:item-state", args=[left.pk]), {"state": "done"})
    assert github_app.wait_for_decision(run.id, timeout=5)["state"] == "approved"
    assert time.monotonic() - started < 5
