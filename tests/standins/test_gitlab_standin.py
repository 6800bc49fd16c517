"""The GitLab stand-in answers GitLab's paths with GitLab's shapes and signs its
webhooks and status check requests as GitLab documents. No database.
"""

import hashlib
import hmac

from tests.standins import gitlab_webhooks, standard_webhooks
from tests.standins.loopback import client


def test_a_blocked_deployment_is_listed_and_approved(gitlab_api):
    """docs.gitlab.com/api/deployments/: list with status=blocked, then
    POST .../approval {status, comment, represented_as} answers 201
    {user, status, created_at, comment}."""
    token = gitlab_api.add_token()
    project = gitlab_api.add_project("acme/shop")
    deployment = gitlab_api.add_blocked_deployment(project, environment="production")
    gitlab_api.add_blocked_deployment(project, environment="staging")
    api = f"{gitlab_api.url}/api/v4/projects"

    listed = client().get(
        f"{api}/acme%2Fshop/deployments",
        params={"status": "blocked", "per_page": 1},
        headers={"PRIVATE-TOKEN": token},
    )
    approved = client().post(
        f"{api}/{project.id}/deployments/{deployment.id}/approval",
        json={
            "status": "approved",
            "comment": "Ready",
            "represented_as": "Maintainers",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    again = client().post(
        f"{api}/{project.id}/deployments/{deployment.id}/approval",
        data={"status": "approved"},
        headers={"PRIVATE-TOKEN": token},
    )
    still_blocked = (
        client()
        .get(
            f"{api}/{project.id}/deployments",
            params={"status": "blocked"},
            headers={"PRIVATE-TOKEN": token},
        )
        .json()
    )

    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [deployment.id]
    assert listed.json()[0]["environment"]["name"] == "production"
    assert listed.json()[0]["sha"] == deployment.sha
    assert (listed.headers["x-total"], listed.headers["x-next-page"]) == ("2", "2")
    assert approved.status_code == 201
    assert set(approved.json()) == {"user", "status", "created_at", "comment"}
    assert approved.json()["status"] == "approved"
    assert again.status_code == 400
    assert [d["environment"]["name"] for d in still_blocked] == ["staging"]
    assert gitlab_api.wait_for_approval(deployment.id)["comment"] == "Ready"
    assert len(gitlab_api.approvals(deployment.id)) == 2


def test_gitlab_refuses_a_bad_token_and_an_unknown_project(gitlab_api):
    token = gitlab_api.add_token()
    gitlab_api.add_project("acme/shop")
    api = f"{gitlab_api.url}/api/v4/projects"

    bad = client().get(
        f"{api}/acme%2Fshop/deployments", headers={"PRIVATE-TOKEN": "nope"}
    )
    unknown = client().get(
        f"{api}/acme%2Fother/deployments", headers={"PRIVATE-TOKEN": token}
    )

    assert (bad.status_code, bad.json()) == (401, {"message": "401 Unauthorized"})
    assert unknown.status_code == 404


def test_a_status_check_response_must_name_the_head_sha(gitlab_api):
    """docs.gitlab.com/api/status_checks/ "Set status of an external status check":
    sha must be the HEAD of the source branch; status passed or failed."""
    token = gitlab_api.add_token()
    project = gitlab_api.add_project("acme/shop")
    mr = gitlab_api.add_merge_request(project, iid=7)
    check = gitlab_api.add_status_check(
        project, external_url="http://127.0.0.1:1/check"
    )
    mr_url = f"{gitlab_api.url}/api/v4/projects/{project.id}/merge_requests/7"
    url = f"{mr_url}/status_check_responses"
    headers = {"PRIVATE-TOKEN": token}

    stale = client().post(
        url,
        json={
            "sha": "0" * 40,
            "external_status_check_id": check.id,
            "status": "passed",
        },
        headers=headers,
    )
    odd = client().post(
        url,
        json={"sha": mr.sha, "external_status_check_id": check.id, "status": "ok"},
        headers=headers,
    )
    failed = client().post(
        url,
        json={"sha": mr.sha, "external_status_check_id": check.id, "status": "failed"},
        headers=headers,
    )

    assert (stale.status_code, odd.status_code, failed.status_code) == (409, 400, 201)
    assert failed.json()["external_status_check"]["id"] == check.id
    assert failed.json()["merge_request"]["iid"] == 7
    assert [c.json["status"] for c in gitlab_api.status_check_responses(7)] == [
        "passed",
        "ok",
        "failed",
    ]


def test_gitlab_webhooks_carry_the_token_and_standard_webhooks_signature(gitlab_api):
    """docs.gitlab.com/user/project/integrations/webhooks/ delivery headers; the
    signing token follows Standard Webhooks with webhook-id = Idempotency-Key
    (gitlab-org/gitlab merge request 230944)."""
    project = gitlab_api.add_project("acme/shop")
    deployment = gitlab_api.add_blocked_deployment(project)
    secret = standard_webhooks.generate_secret()
    sender = gitlab_webhooks.GitLabWebhookSender(token="t0ken", signing_token=secret)

    request = sender.build(
        "Deployment Hook", gitlab_webhooks.deployment_event(deployment)
    )

    assert request.headers["X-Gitlab-Event"] == "Deployment Hook"
    assert request.headers["X-Gitlab-Token"] == "t0ken"
    assert request.headers["User-Agent"].startswith("GitLab/")
    assert request.headers["webhook-id"] == request.headers["Idempotency-Key"]
    standard_webhooks.verify(secret, request.headers, request.body)
    assert request.json["object_kind"] == "deployment"
    assert request.json["deployment_id"] == deployment.id


def test_a_status_check_request_is_signed_with_x_gitlab_signature(gitlab_api):
    """docs.gitlab.com/user/project/merge_requests/status_checks/: the MR event plus
    external_approval_rule, X-Gitlab-Signature = hex HMAC-SHA256 of the raw body."""
    project = gitlab_api.add_project("acme/shop")
    mr = gitlab_api.add_merge_request(project, iid=3)
    check = gitlab_api.add_status_check(
        project, external_url="http://x/", shared_secret="k"
    )

    request = gitlab_webhooks.GitLabWebhookSender().status_check_request(
        gitlab_webhooks.merge_request_event(mr, status_check=check), shared_secret="k"
    )

    assert request.headers["X-Gitlab-Signature"] == (
        hmac.new(b"k", request.body, hashlib.sha256).hexdigest()
    )
    assert request.json["object_kind"] == "merge_request"
    assert request.json["object_attributes"]["last_commit"]["id"] == mr.sha
    assert request.json["external_approval_rule"] == {
        "id": check.id,
        "name": "Shipshape readiness",
        "external_url": "http://x/",
    }
