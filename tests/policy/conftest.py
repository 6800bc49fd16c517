"""Fixtures of the policy tests: a ready release, and probe evidence for it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.probes.models import ProbeConfig, ProbeRun
from apps.releases import services as release_services
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoff_services
from tests import factories
from tests.api.conftest import client_for, make_ready
from tests.probes.conftest import add_result, celery_broker, start_worker

# Fixtures borrowed from other suites: API clients, a real Celery worker.
__all__ = ["celery_broker", "client_for", "start_worker"]


@pytest.fixture
def ready_release(release, lead):
    return make_ready(release, lead)


def ready_but_one(release: Release, lead, **fields) -> ReleaseItem:
    """Settle every gating item but the first, approve every role; return that
    first item, changed by `fields` (severity="advisory", say)."""
    gating = [
        item for item in release.items.order_by("position") if item.gates_readiness
    ]
    left = gating[0]
    ReleaseItem.objects.filter(pk=left.pk).update(**fields)
    for item in gating[1:]:
        release_services.release_item_set_state(item=item, state="done", by=lead)
    for role in release.signoff_roles:
        approver = factories.member(release.team, "engineer")
        signoff_services.signoff_record(
            release=release, role_key=role["key"], decision="approve", by=approver
        )
    left.refresh_from_db()
    return left


@pytest.fixture
def second_lead(team):
    return factories.member(team, "lead")


@pytest.fixture
def third_lead(team):
    return factories.member(team, "lead")


def probe_config(environment, name: str, kind: str = "http", **fields) -> ProbeConfig:
    return ProbeConfig.objects.create(
        environment=environment,
        name=name,
        kind=kind,
        target=fields.pop("target", "https://shop.test/health/"),
        **fields,
    )


def finished_run(release, outcomes: list[tuple[ProbeConfig, str, str]]) -> ProbeRun:
    """A finished probe run of the release with one result per (config, status,
    summary): the release's current evidence."""
    now = timezone.now()
    run = ProbeRun.objects.create(
        release=release,
        environment=release.environment,
        status=ProbeRun.Status.FAILED,
        config_ids=[config.pk for config, _, _ in outcomes],
        deadline=now + timedelta(minutes=1),
        finished_at=now,
    )
    for config, status, summary in outcomes:
        add_result(run, config, status, summary)
    return run
