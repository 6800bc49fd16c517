"""Fixtures of the API tests: clients authenticated by real tokens, a ready release."""

from collections.abc import Callable
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from apps.accounts import tokens
from apps.releases import services as release_services
from apps.releases.models import Release
from apps.signoffs import services as signoff_services
from tests import factories


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(db) -> Callable[..., APIClient]:
    """An API client authenticated with a new Bearer token of the user."""

    def make(
        user, *, read_only: bool = False, expires_at: datetime | None = None
    ) -> APIClient:
        _token, secret = tokens.token_create(
            user=user, name="tests", read_only=read_only, expires_at=expires_at
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


def make_ready(release: Release, lead) -> Release:
    """Settle every gating item and approve every role, each by another engineer."""
    for item in release.items.all():
        if item.gates_readiness:
            release_services.release_item_set_state(item=item, state="done", by=lead)
    for role in release.signoff_roles:
        approver = factories.member(release.team, "engineer")
        signoff_services.signoff_record(
            release=release, role_key=role["key"], decision="approve", by=approver
        )
    release.refresh_from_db()
    return release


@pytest.fixture
def ready_release(release, lead) -> Release:
    return make_ready(release, lead)
