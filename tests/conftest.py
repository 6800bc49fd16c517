"""Shared fixtures: a team with a user per role, the default template, a release."""

from pathlib import Path

import pytest
from _pytest.nodeid import NodeId
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests import factories
from tests.browser import browser, open_page  # noqa: F401 (shared fixtures)
from tests.oidc import oidc_provider  # noqa: F401 (shared fixture)
from tests.services import IN_CI
from tests.standins.fixtures import (  # noqa: F401 (shared fixtures)
    actions_oidc_issuer,
    actions_oidc_issuer_server,
    ci_oidc_issuer,
    ci_oidc_issuer_server,
    github_api,
    github_api_server,
    github_webhooks,
    gitlab_api,
    gitlab_api_server,
    gitlab_webhooks,
    webhook_receiver,
    webhook_receiver_server,
)


def pytest_configure(config) -> None:
    # Test-only switches live here, not in a second settings module.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Unit tests run tasks in-process; tests that need a real worker start one.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    # WhiteNoise warns on every new client when the collected static directory
    # is missing, as in a fresh clone; pages find their files through the
    # finders in tests either way.
    Path(settings.STATIC_ROOT).mkdir(exist_ok=True)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.name not in item.nodeid:
            # schemathesis' parametrize gives every API operation the function's
            # bare node id, and pytest-xdist keys its work queue by node id: the
            # 67 operations collapsed into one. Name each by its operation
            # ("test_x[GET /api/v1/releases/]"), as plain parametrize would.
            # pytest 9 keeps the id structured (private; pinned in requirements.lock).
            item._id = NodeId.parse(f"{item.nodeid.rpartition('::')[0]}::{item.name}")
        if item.get_closest_marker("postgres"):
            item.fixturenames.append("_require_postgres")


def pytest_collection_finish(session) -> None:
    # Two tests with one node id would run once under pytest-xdist (see above).
    seen: set[str] = set()
    twice = {
        item.nodeid
        for item in session.items
        if item.nodeid in seen or seen.add(item.nodeid)
    }
    if twice:
        raise pytest.UsageError(f"tests share a node id: {sorted(twice)[:5]}")


@pytest.fixture
def _require_postgres() -> None:
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL: set DATABASE_URL=postgres://… to run it"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _one_minute_per_test(monkeypatch):
    """Cached answers' keys and ETags include the current minute
    (apps.core.caching); a test that compares two answers would fail if a
    minute ended between them (one did, on a loaded machine). Each test keeps
    the minute it started in; a test of the minute's own effect moves it."""
    from apps.core import caching

    minute = caching.clock_bucket()
    monkeypatch.setattr(caching, "clock_bucket", lambda: minute)


@pytest.fixture(autouse=True)
def _reset_celery_join_flag():
    """Eager tasks run by several threads at once (the concurrency tests) race on
    Celery's process-wide "joining would block" flag and can leave it set, which
    makes every later result.get() raise. Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture
def template(db):
    from apps.checklists import services

    return services.template_ensure_default()


@pytest.fixture
def team(db):
    return factories.TeamFactory()


@pytest.fixture
def lead(team):
    return factories.member(team, "lead")


@pytest.fixture
def engineer(team):
    return factories.member(team, "engineer")


@pytest.fixture
def second_engineer(team):
    return factories.member(team, "engineer")


@pytest.fixture
def auditor(team):
    return factories.member(team, "auditor")


@pytest.fixture
def outsider(db):
    return factories.member(factories.TeamFactory(), "lead")


@pytest.fixture
def environment(team):
    return factories.EnvironmentFactory(service__team=team)


@pytest.fixture
def release(environment, template, lead):
    from apps.releases import services

    return services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.0.0",
        by=lead,
    )
