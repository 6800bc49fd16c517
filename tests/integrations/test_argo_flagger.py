"""Readiness without a release id, for Argo Rollouts and Argo CD, and Flagger's gate.

Argo Rollouts takes the measurement as argoproj.github.io/argo-rollouts/analysis/web
describes it, and Flagger calls and judges its webhook as fluxcd/flagger
pkg/controller/webhook.go does (any status above 202 holds the canary); both are
tests/standins/flagger.py, against the app served by live_server.
"""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from rest_framework.test import APIClient

from apps.accounts import tokens
from apps.releases import services as release_services
from tests import factories
from tests.api.conftest import make_ready
from tests.standins.flagger import call_flagger_webhook, hook_payload, web_metric

pytestmark = pytest.mark.postgres


def _token(user) -> str:
    return tokens.token_create(user=user, name="deploys", expires_at=None)[1]


def _lookup(release, **query) -> str:
    query = {
        "service": release.service.name,
        "environment": release.environment.name,
        **query,
    }
    return "/api/v1/readiness/?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.mark.django_db
def test_the_lookup_answers_as_the_release_readiness_endpoint(release, lead):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(lead)}")
    by_id = client.get(f"/api/v1/releases/{release.pk}/readiness/")
    by_name = client.get(_lookup(release, version=release.version))
    by_ids = client.get(
        _lookup(
            release,
            service=release.service_id,
            environment=release.environment_id,
            version=release.version,
        )
    )
    assert by_name.status_code == 200
    assert by_name.json() == by_id.json() == by_ids.json()
    assert by_name["ETag"] == by_id["ETag"]
    assert by_name.json()["ready"] is False
    assert by_name.json()["blockers"]


@pytest.mark.django_db
def test_the_lookup_finds_a_release_by_the_commit_github_asked_about(release, lead):
    sha = "0f" * 20
    release_services.release_gate_request_set(
        release=release,
        gate_request={"platform": "github", "sha": sha, "run_id": 7},
        actor_label="test",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(lead)}")
    answer = client.get(_lookup(release, sha=sha[:12]))
    assert answer.status_code == 200
    assert (
        answer.json()["score"]
        == client.get(f"/api/v1/releases/{release.pk}/readiness/").json()["score"]
    )


@pytest.mark.django_db
def test_the_lookup_refuses_what_it_cannot_answer(release, lead, outsider):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(lead)}")
    assert client.get(_lookup(release)).status_code == 400
    assert "either version or sha" in str(client.get(_lookup(release)).json())
    assert client.get(_lookup(release, version="9.9.9")).status_code == 404
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(outsider)}")
    assert stranger.get(_lookup(release, version=release.version)).status_code == 404
    assert APIClient().get(_lookup(release, version="1.0.0")).status_code == 401


def test_an_argo_rollouts_web_metric_passes_only_a_ready_release(
    live_server, release, lead
):
    headers = {"Authorization": f"Bearer {_token(lead)}"}
    url = live_server.url + _lookup(release, version=release.version)
    held = web_metric(url, success_condition="result.ready == true", headers=headers)
    assert held.phase == "Failed"
    make_ready(release, lead)
    passed = web_metric(url, success_condition="result.ready == true", headers=headers)
    assert passed.phase == "Successful"
    assert passed.value["score"] == 100


def _flagger(release, token: str, **metadata) -> dict:
    return {
        "service": release.service.name,
        "environment": release.environment.name,
        "version": release.version,
        "token": token,
        **metadata,
    }


def test_flagger_holds_a_canary_until_the_release_is_ready(live_server, release, lead):
    url = f"{live_server.url}/integrations/flagger/gate"
    token = _token(lead)
    for hook in ("confirm-rollout", "confirm-promotion"):
        payload = hook_payload(hook, metadata=_flagger(release, token))
        answer = call_flagger_webhook(url, payload)
        assert (answer.status, answer.passed) == (403, False)
        assert "blockers" in answer.body
    make_ready(release, lead)
    payload = hook_payload("confirm-promotion", metadata=_flagger(release, token))
    answer = call_flagger_webhook(url, payload)
    assert (answer.status, answer.passed) == (200, True)


def test_flagger_rolls_back_only_when_the_verification_window_failed(
    live_server, release, lead
):
    url = f"{live_server.url}/integrations/flagger/gate"
    metadata = _flagger(release, _token(lead), hook="rollback")
    payload = hook_payload("rollback", metadata=metadata)
    assert call_flagger_webhook(url, payload).passed is False
    factories.VerificationWindowFactory(release=release, outcome="failed")
    assert call_flagger_webhook(url, payload).passed is True


def test_flagger_without_a_token_or_metadata_is_held(live_server, release, lead):
    url = f"{live_server.url}/integrations/flagger/gate"
    no_token = hook_payload("confirm-rollout", metadata=_flagger(release, ""))
    assert call_flagger_webhook(url, no_token).status in (401, 403)
    bare = hook_payload("confirm-rollout")
    assert call_flagger_webhook(url, bare).passed is False


EXAMPLES = Path(__file__).resolve().parents[2] / "k8s" / "examples"


def test_the_argo_cd_presync_job_is_a_valid_hook():
    job = yaml.safe_load((EXAMPLES / "argocd-presync-job.yaml").read_text())
    kubernetes_validate.validate(job, "1.33.0", strict=True)
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "/api/v1/readiness/?service=" in script
    assert '"ready":true' in script


def test_the_analysis_template_asks_what_the_tests_ask(live_server, release, lead):
    template = yaml.safe_load(
        (EXAMPLES / "argo-rollouts-analysistemplate.yaml").read_text()
    )
    [metric] = template["spec"]["metrics"]
    web = metric["provider"]["web"]
    args = {
        "service": release.service.name,
        "environment": release.environment.name,
        "version": release.version,
        "shipshape-token": _token(lead),
    }
    url = web["url"].replace("https://shipshape.example.com", live_server.url)
    headers = {h["key"]: h["value"] for h in web["headers"]}
    for name, value in args.items():
        placeholder = "{{args." + name + "}}"  # Argo's argument syntax
        url = url.replace(placeholder, value)
        headers = {k: v.replace(placeholder, value) for k, v in headers.items()}
    make_ready(release, lead)
    measurement = web_metric(
        url, success_condition=metric["successCondition"], headers=headers
    )
    assert measurement.phase == "Successful"
