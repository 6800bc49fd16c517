"""After every committed release write, one query finds what deploy platforms
wait on the release (GitHub gates, GitLab deployments and status checks)."""

import pytest

from apps.integrations import services
from apps.integrations.models import GateRequest, GitLabDeployment, GitLabStatusCheck
from apps.releases import services as releases
from tests import factories


def _gate(release, state="waiting", run_id=1):
    return GateRequest.objects.create(
        release=release,
        repository="octo-org/shop",
        environment_name="production",
        run_id=run_id,
        installation_id=31337,
        sha="a" * 40,
        callback_url="https://api.github.example/callback",
        state=state,
    )


def _deployment(release, state="waiting", deployment_id=1):
    return GitLabDeployment.objects.create(
        release=release,
        project_path="group/shop",
        environment_name="production",
        deployment_id=deployment_id,
        sha="b" * 40,
        state=state,
    )


def _check(environment, sha, release=None, state="pending", check_id=1):
    return GitLabStatusCheck.objects.create(
        environment=environment,
        release=release,
        project_path="group/shop",
        merge_request_iid=7,
        sha=sha,
        check_id=check_id,
        state=state,
    )


def test_everything_waiting_on_the_release_is_found_in_one_query(
    release, template, lead, django_assert_num_queries
):
    other = releases.release_create(
        service=release.service,
        environment=release.environment,
        template=template,
        version="9.9.9",
        by=lead,
    )
    release.gate_request = {"sha": "c" * 40}
    release.save(update_fields=["gate_request"])
    gate = _gate(release)
    _gate(release, state="approved", run_id=2)
    _gate(other, run_id=3)
    deployment = _deployment(release)
    _deployment(release, state="rejected", deployment_id=2)
    named = _check(release.environment, "d" * 40, release=release)
    by_version = _check(release.environment, f"{release.version}abc", check_id=2)
    by_sha = _check(release.environment, "c" * 40, check_id=3)
    _check(release.environment, "c" * 40, state="passed", check_id=4)
    elsewhere = factories.EnvironmentFactory(service=release.service, name="qa")
    _check(elsewhere, "c" * 40, check_id=5)
    _check(release.environment, "e" * 40, check_id=6)

    with django_assert_num_queries(1):
        waiting = services.release_waiting(release.pk)

    assert sorted(waiting) == sorted(
        [
            ("github-gate", gate.pk),
            ("gitlab-deployment", deployment.pk),
            ("gitlab-status-check", named.pk),
            ("gitlab-status-check", by_version.pk),
            ("gitlab-status-check", by_sha.pk),
        ]
    )


def test_a_release_without_a_gate_request_matches_no_check_by_sha(release):
    _check(release.environment, "c" * 40)
    assert services.release_waiting(release.pk) == []


def test_a_tick_queues_an_answer_for_each_waiting_row(
    release, lead, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "apps.integrations.services.waiting.enqueue",
        lambda task, row_id: queued.append((task.name, row_id)),
    )
    gate = _gate(release)
    deployment = _deployment(release)
    item = release.items.filter(kind="check").first()
    with django_capture_on_commit_callbacks(execute=True):
        releases.release_item_set_state(item=item, state="done", by=lead)
    assert sorted(queued) == sorted(
        [
            ("apps.integrations.tasks.answer_gate_request", gate.pk),
            ("apps.integrations.tasks.answer_gitlab_deployment", deployment.pk),
        ]
    )


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_decided_rows_are_not_answered_again(release, state):
    _gate(release, state=state)
    _deployment(release, state=state)
    assert services.release_waiting(release.pk) == []
