"""GitLab merge request external status checks and inbound GitLab webhooks, end
to end against the loopback stand-ins: tests/standins/gitlab.py
(`POST /api/v4/projects/:id/merge_requests/:iid/status_check_responses`, from
docs.gitlab.com/api/status_checks/) and tests/standins/gitlab_webhooks.py (the
status check request signed with X-Gitlab-Signature, from
docs.gitlab.com/user/project/merge_requests/status_checks/; webhooks with
X-Gitlab-Token, Idempotency-Key and Standard Webhooks headers, from
docs.gitlab.com/user/project/integrations/webhooks/ and
standard-webhooks/standard-webhooks spec/standard-webhooks.md). Tasks run
eagerly on commit, as a worker would run them."""

import time

import pytest

from apps.audit.models import AuditEvent
from apps.integrations import services
from apps.integrations.models import (
    GitLabDeployment,
    GitLabStatusCheck,
    WebhookDelivery,
)
from apps.integrations.services import gitlab_mapping_create
from apps.releases import services as release_services
from apps.releases.models import Release
from tests import factories
from tests.api.conftest import make_ready
from tests.policy.conftest import ready_but_one
from tests.standins import gitlab_webhooks as payloads
from tests.standins.fixtures import GITLAB_SIGNING_TOKEN, GITLAB_WEBHOOK_TOKEN
from tests.standins.gitlab_webhooks import GitLabWebhookSender

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SHARED_SECRET = "status-check-shared-secret"
CHECK_URL = "/integrations/gitlab/status-check"
HOOK_URL = "/integrations/gitlab/webhook"


@pytest.fixture
def gitlab(settings, gitlab_api, template):
    settings.GITLAB_URL = gitlab_api.url
    settings.GITLAB_STATUS_CHECK_SECRET = SHARED_SECRET
    settings.GITLAB_WEBHOOK_TOKEN = GITLAB_WEBHOOK_TOKEN
    settings.GITLAB_WEBHOOK_SIGNING_TOKEN = GITLAB_SIGNING_TOKEN
    return gitlab_api


@pytest.fixture
def mapping(gitlab, environment, lead):
    return gitlab_mapping_create(
        project_path="acme/shop",
        environment_name="production",
        service=environment.service,
        environment=environment,
        access_token=gitlab.add_token(),
        by=lead,
    )


@pytest.fixture
def merge_request(gitlab, mapping):
    project = gitlab.add_project("acme/shop")
    mr = gitlab.add_merge_request(project, iid=7)
    check = gitlab.add_status_check(
        project,
        external_url="https://shipshape.example.com" + CHECK_URL,
        shared_secret=SHARED_SECRET,
    )
    return mr, check


def ask(client, capture, request):
    with capture(execute=True):
        return client.post(CHECK_URL, **request.django_kwargs())


def test_a_status_check_fails_fast_and_passes_within_5_s_of_the_release_turning_ready(
    client,
    gitlab,
    merge_request,
    environment,
    template,
    lead,
    gitlab_webhooks,
    django_capture_on_commit_callbacks,
):
    mr, check = merge_request
    request = gitlab_webhooks.status_check_request(
        payloads.merge_request_event(mr, status_check=check),
        shared_secret=SHARED_SECRET,
    )
    started = time.monotonic()
    response = ask(client, django_capture_on_commit_callbacks, request)
    assert response.status_code == 202
    [failed] = gitlab.status_check_responses(7)
    assert time.monotonic() - started < 5
    assert failed.json == {
        "sha": mr.sha,
        "external_status_check_id": check.id,
        "status": "failed",
    }
    assert failed.status == 201

    # GitLab asks again for the same head: nothing more is said.
    again = ask(client, django_capture_on_commit_callbacks, request)
    assert again.status_code == 202
    assert len(gitlab.status_check_responses(7)) == 1
    assert GitLabStatusCheck.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        release = factories.release_open(environment, template, lead, mr.sha[:7])
    assert len(gitlab.status_check_responses(7)) == 1  # still not ready
    with django_capture_on_commit_callbacks(execute=True):
        left = ready_but_one(release, lead)
    assert len(gitlab.status_check_responses(7)) == 1  # one blocker left
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_item_set_state(item=left, state="done", by=lead)
    calls = gitlab.wait_until(
        lambda: [
            c for c in gitlab.status_check_responses(7) if c.json["status"] == "passed"
        ],
        timeout=5,
        what="a passed status check",
    )
    assert time.monotonic() - started < 5
    assert calls[0].status == 201
    assert GitLabStatusCheck.objects.get().state == "passed"
    assert AuditEvent.objects.filter(
        action="gitlab_status_check.passed", release_id=release.pk
    ).exists()


@pytest.mark.parametrize("signature", ["wrong", "missing"])
def test_a_badly_signed_status_check_is_refused_and_writes_nothing(
    client, gitlab, merge_request, gitlab_webhooks, signature
):
    mr, check = merge_request
    request = gitlab_webhooks.status_check_request(
        payloads.merge_request_event(mr, status_check=check),
        shared_secret="not-the-secret" if signature == "wrong" else None,
    )
    events = AuditEvent.objects.count()
    response = client.post(CHECK_URL, **request.django_kwargs())
    assert response.status_code == 401
    assert not GitLabStatusCheck.objects.exists()
    assert AuditEvent.objects.count() == events
    assert gitlab.status_check_responses() == []


@pytest.fixture
def held(gitlab, mapping, lead, django_capture_on_commit_callbacks):
    """A GitLab deployment held on its release and approved."""
    project = gitlab.add_project("acme/shop")
    deployment = gitlab.add_blocked_deployment(project, sha="ab12cd34" * 5)
    services.gitlab_deployments_poll()
    release = Release.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        make_ready(release, lead)
    gitlab.wait_for_approval(deployment.id)
    return deployment


@pytest.mark.parametrize("signed_by", ["token", "standard-webhooks", "both"])
def test_a_deployment_event_is_kept_once_however_it_is_signed(
    client, held, signed_by, django_capture_on_commit_callbacks
):
    sender = GitLabWebhookSender(
        token=GITLAB_WEBHOOK_TOKEN if signed_by != "standard-webhooks" else None,
        signing_token=GITLAB_SIGNING_TOKEN if signed_by != "token" else None,
    )
    request = sender.build(
        "Deployment Hook", payloads.deployment_event(held, status="success")
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(HOOK_URL, **request.django_kwargs())
        second = client.post(HOOK_URL, **request.django_kwargs())
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    release = GitLabDeployment.objects.get().release
    release.refresh_from_db()
    assert release.gate_request["deployment_status"] == "success"
    assert release.gate_request["decision"] == "approved"
    assert AuditEvent.objects.filter(action="release.deployment_reported").count() == 1
    assert WebhookDelivery.objects.filter(source="gitlab").count() == 1


@pytest.mark.parametrize(
    "forge", ["wrong-token", "wrong-signature", "old-timestamp", "unsigned"]
)
def test_a_forged_gitlab_webhook_is_refused_and_writes_nothing(client, held, forge):
    if forge == "wrong-token":
        sender = GitLabWebhookSender(token="guessed")
    elif forge == "wrong-signature":
        sender = GitLabWebhookSender(
            signing_token="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
        )
    elif forge == "old-timestamp":
        sender = GitLabWebhookSender(signing_token=GITLAB_SIGNING_TOKEN)
    else:
        sender = GitLabWebhookSender()
    options = {"timestamp": int(time.time()) - 600} if forge == "old-timestamp" else {}
    request = sender.build(
        "Deployment Hook", payloads.deployment_event(held), **options
    )
    events = AuditEvent.objects.count()
    response = client.post(HOOK_URL, **request.django_kwargs())
    assert response.status_code == 401
    assert not WebhookDelivery.objects.filter(source="gitlab").exists()
    assert AuditEvent.objects.count() == events
