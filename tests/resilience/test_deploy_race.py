"""A deploy racing a change to readiness, on PostgreSQL with real row locks.

Deploying judges readiness under the release's row lock, and every writer that
changes what readiness reads (a tick, a sign-off) takes the same lock first. So
the two are serialised, whichever comes first, and there is no moment between
the verdict and the write:
- the tick (or a rejection) first: the deploy waits for it, then sees the
  release is no longer ready and is refused;
- the deploy first: the tick waits for it, then is refused, because
  pre-deployment items are final once deployed.
Each case holds the first transaction open until the second is seen waiting on
a lock in pg_stat_activity, so the interleaving is the same on every run.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from apps.audit.verification import chain_verify
from apps.releases import services
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoffs
from tests import factories
from tests.api.conftest import make_ready

pytestmark = pytest.mark.postgres
S = Release.Status


def _wait_for_a_lock_wait(timeout: float = 10.0) -> None:
    """Return once another session of this database waits on a lock."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited on the release lock")


def first_then_second(first, second) -> list:
    """Run `first` in a transaction held open until `second` (in another thread)
    waits on a lock; then commit. Return each call's result or exception."""
    outcomes: list = [None, None]
    holding, go_on = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcomes[0] = first()
                holding.set()
                go_on.wait(timeout=15)
        except Exception as error:  # the test inspects what each call raised
            outcomes[0] = error
        finally:
            holding.set()
            connection.close()

    def run_second() -> None:
        try:
            outcomes[1] = second()
        except Exception as error:
            outcomes[1] = error
        finally:
            connection.close()

    one = threading.Thread(target=run_first)
    one.start()
    holding.wait(timeout=15)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        _wait_for_a_lock_wait()
    finally:
        go_on.set()
        one.join(timeout=30)
        two.join(timeout=30)
    return outcomes


@pytest.fixture
def ready(transactional_db, release, lead) -> Release:
    make_ready(release, lead)
    return services.release_transition(release=release, target=S.READY, by=lead)


def _gating_item(release: Release) -> ReleaseItem:
    return release.items.filter(phase="pre_deployment", kind="check").first()


def _deploy(release: Release, lead):
    return lambda: services.release_transition(
        release=release, target=S.DEPLOYED, by=lead
    )


def test_a_tick_first_makes_the_racing_deploy_refused(ready, lead, engineer):
    item = _gating_item(ready)
    untick = lambda: services.release_item_set_state(  # noqa: E731
        item=item, state="open", by=engineer
    )

    ticked, deployed = first_then_second(untick, _deploy(ready, lead))

    assert isinstance(ticked, ReleaseItem), ticked
    assert isinstance(deployed, ValidationError), deployed
    assert "Not ready" in " ".join(deployed.messages)
    ready.refresh_from_db()
    assert ready.status == S.READY
    assert ReleaseItem.objects.get(pk=item.pk).state == "open"
    assert chain_verify().ok


def test_a_deploy_first_makes_the_racing_tick_refused(ready, lead, engineer):
    item = _gating_item(ready)
    untick = lambda: services.release_item_set_state(  # noqa: E731
        item=item, state="open", by=engineer
    )

    deployed, ticked = first_then_second(_deploy(ready, lead), untick)

    assert isinstance(deployed, Release), deployed
    assert isinstance(ticked, ValidationError), ticked
    assert "final once the release is deployed" in " ".join(ticked.messages)
    ready.refresh_from_db()
    assert (ready.status, ready.override_at) == (S.DEPLOYED, None)
    assert ReleaseItem.objects.get(pk=item.pk).state == "done"
    assert chain_verify().ok


def test_a_rejection_first_makes_the_racing_deploy_refused(ready, lead):
    reviewer = factories.member(ready.team, "engineer")
    role = ready.signoff_roles[-1]["key"]
    reject = lambda: signoffs.signoff_record(  # noqa: E731
        release=ready, role_key=role, decision="reject", comment="No", by=reviewer
    )

    rejected, deployed = first_then_second(reject, _deploy(ready, lead))

    assert not isinstance(rejected, Exception), rejected
    assert isinstance(deployed, ValidationError), deployed
    assert "rejected by" in " ".join(deployed.messages)
    ready.refresh_from_db()
    assert ready.status == S.READY
