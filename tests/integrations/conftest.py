"""Fixtures of the integrations tests: Shipshape pointed at the GitHub stand-in,
a mapped repository, and webhooks posted through Django's test client."""

import pytest

from apps.integrations import github
from apps.integrations.models import GitHubMapping
from apps.integrations.services import github_mapping_create
from tests.api.conftest import client_for
from tests.standins import github_webhooks as payloads

__all__ = ["client_for"]  # an API client with a token, borrowed

REPOSITORY = "octo-org/shop"


@pytest.fixture
def github_app(settings, github_api, github_webhooks, template):
    """Settings of a GitHub App whose API is the stand-in, with one installation
    that sees octo-org/shop; no installation token cached from another test."""
    settings.GITHUB_APP_ID = str(github_api.app_id)
    settings.GITHUB_APP_PRIVATE_KEY = github_api.private_key_pem
    settings.GITHUB_WEBHOOK_SECRET = github_webhooks.secret
    settings.GITHUB_API_URL = github_api.url
    settings.SITE_URL = "https://shipshape.example.com"
    github._tokens.clear()
    github_api.add_installation(31337, repositories=(REPOSITORY,))
    return github_api


@pytest.fixture
def mapping(github_app, environment, lead) -> GitHubMapping:
    return github_mapping_create(
        repository=REPOSITORY,
        environment_name="production",
        service=environment.service,
        environment=environment,
        by=lead,
    )


@pytest.fixture
def deliver(client, github_app, github_webhooks, django_capture_on_commit_callbacks):
    """Post a signed deployment_protection_rule delivery for a waiting run, and
    run what it queues on commit (eager tasks) as a worker would."""

    def send(run, *, ref: str = "v2.4.1", request=None, **options):
        if request is None:
            payload = payloads.deployment_protection_rule_requested(
                api_url=github_app.url,
                repository_name=run.repository,
                environment=run.environments[0],
                run_id=run.id,
                sha=run.head_sha,
                ref=ref,
            )
            request = github_webhooks.build(
                "deployment_protection_rule", payload, **options
            )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/integrations/github/webhook", **request.django_kwargs()
            )
        return request, response

    return send
