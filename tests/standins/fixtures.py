"""Pytest fixtures for the platform stand-ins, registered once in tests/conftest.py.

Each server starts once per test session (keys are made once); the fixture a
test asks for hands it that server with its state cleared, so no test sees
another's installations, runs, deployments or recorded calls.
"""

from collections.abc import Iterator

import pytest

from tests.standins.github import GitHubAPI
from tests.standins.github_webhooks import GitHubWebhookSender
from tests.standins.gitlab import GitLabAPI
from tests.standins.gitlab_webhooks import GitLabWebhookSender
from tests.standins.oidc import GitHubActionsIssuer, GitLabIssuer
from tests.standins.standard_webhooks import WebhookReceiver, generate_secret

GITHUB_WEBHOOK_SECRET = "github-webhook-secret-for-tests"
GITLAB_WEBHOOK_TOKEN = "gitlab-webhook-token-for-tests"
GITLAB_SIGNING_TOKEN = generate_secret()


@pytest.fixture(scope="session")
def github_api_server() -> Iterator[GitHubAPI]:
    server = GitHubAPI()
    yield server
    server.stop()


@pytest.fixture
def github_api(github_api_server: GitHubAPI) -> GitHubAPI:
    """GitHub's REST API for one app (app_id, private_key_pem), state cleared."""
    github_api_server.reset()
    return github_api_server


@pytest.fixture
def github_webhooks(github_api_server: GitHubAPI) -> GitHubWebhookSender:
    """Sends GitHub webhooks signed with GITHUB_WEBHOOK_SECRET for the same app."""
    return GitHubWebhookSender(GITHUB_WEBHOOK_SECRET, app_id=github_api_server.app_id)


@pytest.fixture(scope="session")
def gitlab_api_server() -> Iterator[GitLabAPI]:
    server = GitLabAPI()
    yield server
    server.stop()


@pytest.fixture
def gitlab_api(gitlab_api_server: GitLabAPI) -> GitLabAPI:
    """GitLab's REST API v4, state cleared."""
    gitlab_api_server.reset()
    return gitlab_api_server


@pytest.fixture
def gitlab_webhooks() -> GitLabWebhookSender:
    """Sends GitLab webhooks with X-Gitlab-Token and Standard Webhooks signatures."""
    return GitLabWebhookSender(
        token=GITLAB_WEBHOOK_TOKEN, signing_token=GITLAB_SIGNING_TOKEN
    )


@pytest.fixture(scope="session")
def ci_oidc_issuer_server() -> Iterator[GitLabIssuer]:
    server = GitLabIssuer()
    yield server
    server.stop()


@pytest.fixture
def ci_oidc_issuer(ci_oidc_issuer_server: GitLabIssuer) -> GitLabIssuer:
    """A GitLab instance minting CI/CD id_tokens; back to its first key."""
    ci_oidc_issuer_server.reset()
    return ci_oidc_issuer_server


@pytest.fixture(scope="session")
def actions_oidc_issuer_server() -> Iterator[GitHubActionsIssuer]:
    server = GitHubActionsIssuer()
    yield server
    server.stop()


@pytest.fixture
def actions_oidc_issuer(
    actions_oidc_issuer_server: GitHubActionsIssuer,
) -> GitHubActionsIssuer:
    """GitHub Actions' OIDC provider; back to its first key."""
    actions_oidc_issuer_server.reset()
    return actions_oidc_issuer_server


@pytest.fixture(scope="session")
def webhook_receiver_server() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
def webhook_receiver(webhook_receiver_server: WebhookReceiver) -> WebhookReceiver:
    """A Standard Webhooks endpoint with a fresh whsec_ secret (`.secret`)."""
    webhook_receiver_server.reset(secret=generate_secret())
    return webhook_receiver_server
