"""GitLab deployment approvals, end to end against the loopback GitLab stand-in
(tests/standins/gitlab.py: `GET /api/v4/projects/:id/deployments?status=blocked`
and `POST .../deployments/:deployment_id/approval` as docs.gitlab.com/api/deployments/
describes them). Tasks run eagerly, as a worker would run them."""

import logging
import time

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.integrations import services
from apps.integrations.models import GitLabDeployment
from apps.integrations.services import gitlab_mapping_create
from apps.releases.models import Release
from apps.signoffs import services as signoff_services
from tests.policy.conftest import ready_but_one

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SHA = "c0ffee12" * 5


@pytest.fixture
def gitlab(settings, gitlab_api, template):
    settings.GITLAB_URL = gitlab_api.url
    settings.SITE_URL = "https://shipshape.example.com"
    return gitlab_api


@pytest.fixture
def token(gitlab):
    return gitlab.add_token()


@pytest.fixture
def mapping(gitlab, token, environment, lead):
    return gitlab_mapping_create(
        project_path="acme/shop",
        environment_name="production",
        service=environment.service,
        environment=environment,
        access_token=token,
        represented_as="Release managers",
        by=lead,
    )


def test_a_blocked_deployment_waits_and_is_approved_within_5_s_of_the_last_blocker(
    gitlab, mapping, lead, client, django_capture_on_commit_callbacks, caplog, token
):
    caplog.set_level(logging.DEBUG)
    project = gitlab.add_project("acme/shop")
    deployment = gitlab.add_blocked_deployment(project, sha=SHA, ref="main")

    assert services.gitlab_deployments_poll() == {"opened": 1, "answered": 1}
    release = Release.objects.get()
    assert (release.version, release.environment) == (SHA[:7], mapping.environment)
    assert release.gate_request["deployment_id"] == deployment.id
    assert release.gate_request["platform"] == "gitlab"
    assert gitlab.approvals(deployment.id) == []
    assert gitlab.deployments[deployment.id].status == "blocked"

    left = ready_but_one(release, lead)
    services.gitlab_deployments_poll()  # beat again: still blocked, still held
    assert gitlab.approvals(deployment.id) == []
    assert GitLabDeployment.objects.get().state == "waiting"

    client.force_login(lead)
    page = client.get(release.get_absolute_url()).content.decode()
    assert f"deployment {deployment.id} of acme/shop" in page

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("releases:item-state", args=[left.pk]), {"state": "done"})
    approval = gitlab.wait_for_approval(deployment.id, timeout=5)
    assert time.monotonic() - started < 5
    assert approval["status"] == "approved"
    assert "is ready" in approval["comment"]
    call = gitlab.approvals(deployment.id)[0]
    assert call.json["represented_as"] == "Release managers"
    assert call.headers["private-token"] == token
    assert gitlab.deployments[deployment.id].status == "running"
    assert GitLabDeployment.objects.get().state == "approved"
    assert AuditEvent.objects.filter(
        action="gitlab_deployment.approved", release_id=release.pk
    ).exists()
    # Beat finds it again no more (it is running), and decides nothing twice.
    services.gitlab_deployments_poll()
    assert len(gitlab.approvals(deployment.id)) == 1
    assert token not in caplog.text


def test_a_deployment_listed_twice_makes_one_release_and_one_decision(
    gitlab, mapping, lead, django_capture_on_commit_callbacks
):
    project = gitlab.add_project("acme/shop")
    deployment = gitlab.add_blocked_deployment(project, sha=SHA)
    services.gitlab_deployments_poll()
    services.gitlab_deployments_poll()
    assert Release.objects.count() == 1
    assert GitLabDeployment.objects.count() == 1
    release = Release.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        ready_but_one(release, lead)
        release.refresh_from_db()
        left = [
            i for i in release.items.all() if i.gates_readiness and i.state != "done"
        ]
        from apps.releases import services as release_services

        for item in left:
            release_services.release_item_set_state(item=item, state="done", by=lead)
    assert gitlab.wait_for_approval(deployment.id)["status"] == "approved"
    services.gitlab_deployments_poll()
    services.gitlab_deployment_answer(row_id=GitLabDeployment.objects.get().pk)
    assert len(gitlab.approvals(deployment.id)) == 1


def test_a_rejected_signoff_rejects_the_deployment(
    gitlab, mapping, engineer, django_capture_on_commit_callbacks
):
    project = gitlab.add_project("acme/shop")
    deployment = gitlab.add_blocked_deployment(project, sha=SHA)
    services.gitlab_deployments_poll()
    release = Release.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        signoff_services.signoff_record(
            release=release,
            role_key=release.signoff_roles[0]["key"],
            decision="reject",
            comment="Not with that migration",
            by=engineer,
        )
    assert gitlab.wait_for_approval(deployment.id)["status"] == "rejected"
    assert gitlab.deployments[deployment.id].status == "failed"


def test_a_deployment_of_an_unmapped_environment_or_a_bad_token_is_left_alone(
    gitlab, mapping, lead
):
    project = gitlab.add_project("acme/shop")
    gitlab.add_blocked_deployment(project, environment="staging", sha=SHA)
    assert services.gitlab_deployments_poll() == {"opened": 0, "answered": 0}
    services.gitlab_mapping_set_token(
        mapping=mapping, access_token="glpat-not-accepted", by=lead
    )
    gitlab.add_blocked_deployment(project, sha=SHA)
    assert services.gitlab_deployments_poll() == {"opened": 0, "answered": 0}
    assert not Release.objects.exists()
