"""releases.writes: every release writer locks the release first and counts its
change exactly once (`revision`), through the one helper.

The lock mode tests run on PostgreSQL with a second, real connection: the
release row is held FOR NO KEY UPDATE, which stops another writer but not the
foreign-key check of a row that points at the release.
"""

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit import services as audit
from apps.core import rows
from apps.policy import services as policy
from apps.probes import services as probes
from apps.releases import selectors, services
from apps.releases.models import Release, ReleaseItem
from apps.releases.writes import ItemLock, release_change, release_lock
from apps.signoffs import services as signoffs
from tests.api.conftest import make_ready
from tests.probes.conftest import add_result, configure

S = Release.Status


def _revision(release: Release) -> int:
    return Release.objects.values_list("revision", flat=True).get(pk=release.pk)


def _check(release: Release, n: int = 0) -> ReleaseItem:
    return release.items.filter(kind="check", phase="pre_deployment")[n]


def test_a_change_counts_once(release):
    before = _revision(release)

    with release_change(release.pk) as change:
        assert change.release.pk == release.pk

    assert _revision(release) == before + 1


def test_a_change_hands_back_the_activity_its_count_drew(release):
    # The item tick keys the inputs it carries forward by it, without reading
    # the row again.
    with release_change(release.pk) as change:
        locked = change.release.revision

    after = Release.objects.values_list("revision", "activity").get(pk=release.pk)
    assert after[0] == locked + 1 == change.release.revision
    if connection.vendor == "postgresql":
        # The count's UPDATE hands back the activity number its trigger drew.
        assert change.activity == after[1]
    else:
        assert change.activity is None


def test_an_item_is_read_with_more_columns_of_its_release(release, engineer):
    # The item tick reads its cache stamp's facts so, before it takes a lock.
    item = _check(release)

    read, values = selectors.release_item_read_for_user(
        engineer, item.pk, "r.version, r.revision"
    )

    assert (read.pk, read.release.pk, read.release.team.pk) == (
        item.pk,
        release.pk,
        release.team_id,
    )
    assert values == (release.version, _revision(release))
    assert selectors.release_item_get_for_user(engineer, item.pk).pk == item.pk


def test_a_change_locks_an_item_of_its_release_with_it(release, lead):
    item = _check(release)

    lock = ItemLock(item.pk, read="r.environment_id")
    with release_change(release.pk, item=lock) as change:
        assert (change.item.pk, change.item.text) == (item.pk, item.text)
        assert change.item_read == release.environment_id
        with release_change(release.pk, item=ItemLock(item.pk)) as inner:
            assert inner.item is None  # a joined change locks nothing itself

    other = services.release_create(
        service=release.service,
        environment=release.environment,
        template=release.template,
        version="2.0.0",
        by=lead,
    )
    elsewhere = ItemLock(_check(other).pk)
    with (
        pytest.raises(ReleaseItem.DoesNotExist),
        transaction.atomic(),
        release_change(release.pk, item=elsewhere),
    ):
        pass
    with (
        pytest.raises(Release.DoesNotExist),
        transaction.atomic(),
        release_change(other.pk + 1000, item=ItemLock(item.pk)),
    ):
        pass


def test_a_write_handed_to_a_change_is_made_with_its_count(release):
    item = _check(release)
    before = _revision(release)

    with (
        CaptureQueriesContext(connection) as statements,
        release_change(release.pk, item=ItemLock(item.pk)) as change,
    ):
        change.item.note = "Checked on staging."
        change.write(*rows.update(change.item, ["note"]))

    assert ReleaseItem.objects.get(pk=item.pk).note == "Checked on staging."
    assert _revision(release) == before + 1
    sent = [q["sql"] for q in statements.captured_queries if "releases_" in q["sql"]]
    if connection.vendor == "postgresql":
        # The lock, then the item's UPDATE and the count in one statement.
        assert len(sent) == 2, sent
    else:
        assert len(sent) == 3, sent


def test_a_write_is_made_when_nothing_is_counted_or_at_once_when_nested(release):
    first, second = _check(release), _check(release, 1)
    before = _revision(release)

    with release_change(release.pk, item=ItemLock(first.pk)) as change:
        change.item.note = "Unchanged release."
        change.write(*rows.update(change.item, ["note"]))
        change.unchanged()
    with release_change(release.pk) as outer:
        with release_change(release.pk) as inner:
            second.note = "Nested."
            inner.write(*rows.update(second, ["note"]))
            # A nested change writes at once: its outer block may read it back.
            assert ReleaseItem.objects.get(pk=second.pk).note == "Nested."
        outer.unchanged()

    assert ReleaseItem.objects.get(pk=first.pk).note == "Unchanged release."
    assert _revision(release) == before + 1  # the nested change's count


@pytest.mark.postgres
def test_a_change_holds_the_release_before_it_waits_for_its_item(
    transactional_db, release
):
    """The release, then the item, as every writer locks them: a change that
    waited for the item without holding the release could deadlock with a
    writer holding the release and waiting for the item."""
    item = _check(release)
    done = threading.Event()

    def change_the_item() -> None:
        try:
            with (
                transaction.atomic(),
                release_change(release.pk, item=ItemLock(item.pk)),
            ):
                pass
        finally:
            done.set()
            connection.close()

    with _other_connection() as holder, holder.transaction():
        holder.execute(
            "SELECT 1 FROM releases_releaseitem WHERE id = %s FOR UPDATE", [item.pk]
        )
        waiting = threading.Thread(target=change_the_item)
        waiting.start()
        assert _waits_for_a_lock(), "the change did not wait for the item"
        assert not done.is_set()
        assert not _locks(release, "NO KEY UPDATE")  # it holds the release
    waiting.join(timeout=10)
    assert done.is_set()
    assert _locks(release, "NO KEY UPDATE")


def _waits_for_a_lock() -> bool:
    """Whether a session of this database waits for a row lock (within 10 s)."""
    deadline = time.monotonic() + 10
    with _other_connection() as watcher:  # autocommit: a fresh view each time
        while time.monotonic() < deadline:
            (waiting,) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_changes_nested_in_a_change_of_the_same_release_count_once(release):
    before = _revision(release)

    with release_change(release.pk) as outer:
        with release_change(release.pk) as inner:
            assert inner.release is outer.release
        with release_change(release.pk):
            pass
        assert release_lock(release.pk) is outer.release

    assert _revision(release) == before + 1


def test_a_change_that_changed_nothing_or_failed_is_not_counted(release):
    before = _revision(release)

    with release_change(release.pk) as change:
        change.unchanged()
    with pytest.raises(ValueError), transaction.atomic(), release_change(release.pk):
        raise ValueError("refused")

    assert _revision(release) == before


def test_a_nested_change_is_counted_when_the_outer_one_changed_nothing(release):
    before = _revision(release)

    with release_change(release.pk) as outer:
        outer.unchanged()
        with release_change(release.pk):
            pass

    assert _revision(release) == before + 1


def test_a_nested_change_that_saves_fields_counts_once_with_its_outer_one(release):
    before = _revision(release)

    with release_change(release.pk) as outer:
        with release_change(release.pk) as inner:
            inner.release.notes = "Nested."
            inner.save("notes")
        outer.save("notes")

    release.refresh_from_db()
    assert (release.notes, release.revision) == ("Nested.", before + 1)


def test_a_lock_outside_a_transaction_is_refused(transactional_db, release):
    with pytest.raises(transaction.TransactionManagementError):
        release_lock(release.pk)


def test_a_tick_and_a_note_each_count_once(release, engineer):
    before = _revision(release)

    services.release_item_set_state(item=_check(release), state="done", by=engineer)
    services.release_item_set_state(
        item=_check(release, 1), state="blocked", note="Waiting on infra", by=engineer
    )

    assert _revision(release) == before + 2


def test_a_sign_off_counts_once(release, engineer):
    before = _revision(release)

    signoffs.signoff_record(
        release=release,
        role_key=release.signoff_roles[0]["key"],
        decision="approve",
        by=engineer,
    )

    assert _revision(release) == before + 1


def test_an_update_counts_once_and_an_update_changing_nothing_not_at_all(release, lead):
    before = _revision(release)

    services.release_update(release=release, by=lead, notes="Later.")
    services.release_update(release=release, by=lead, notes="Later.")

    assert _revision(release) == before + 1


def test_a_transition_counts_once(release, lead):
    before = _revision(release)

    changed = services.release_transition(
        release=release, target=S.CANCELLED, reason="Superseded", by=lead
    )

    assert _revision(release) == before + 1 == changed.revision


def test_a_refused_transition_is_not_counted(release, lead):
    before = _revision(release)

    with pytest.raises(Exception, match="Not ready"):
        services.release_transition(release=release, target=S.READY, by=lead)

    assert _revision(release) == before


def test_a_probe_run_counts_once_however_many_items_its_evidence_sets(release, lead):
    items = [_check(release), _check(release, 1)]
    config = configure(
        release.environment,
        lead,
        release.template,
        "Health",
        "http://127.0.0.1:9/",
        [item.text for item in items],
    )
    run = probes.probe_run_start(release=release, by=lead)
    started = _revision(release)
    add_result(run, config, "pass", "200 OK")

    assert probes.probe_run_finish_if_complete(run_id=run.pk) is True
    assert probes.probe_run_finish_if_complete(run_id=run.pk) is False

    states = ReleaseItem.objects.filter(pk__in=[i.pk for i in items])
    assert set(states.values_list("state", flat=True)) == {"done"}
    assert _revision(release) == started + 1


def test_approving_a_waiver_or_an_emergency_exception_counts_once(release, lead, team):
    from tests import factories

    second_lead = factories.member(team, "lead")
    waiver = policy.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=_check(release).pk,
        reason="Checked by hand",
        expires_at=timezone.now() + timedelta(hours=2),
        by=lead,
    )
    exception = policy.emergency_exception_request(
        release=release,
        reason="Security fix",
        expires_at=timezone.now() + timedelta(hours=2),
        by=lead,
    )
    before = _revision(release)

    policy.waiver_approve(waiver=waiver, by=second_lead)
    policy.emergency_exception_approve(exception=exception, by=second_lead)

    assert _revision(release) == before + 2


# PostgreSQL: the lock's mode -------------------------------------------------------


def _other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )


def _locks(release: Release, mode: str) -> bool:
    """Whether another session can take this lock on the release row now."""
    with _other_connection() as other:
        try:
            with other.transaction():
                other.execute(
                    # The mode is one of this module's constants.
                    f"SELECT 1 FROM releases_release WHERE id = %s FOR {mode} NOWAIT",  # noqa: S608
                    [release.pk],
                )
        except psycopg.errors.LockNotAvailable:
            return False
    return True


@pytest.mark.postgres
def test_a_change_stops_other_writers_but_not_foreign_key_checks(
    transactional_db, release
):
    assert _locks(release, "NO KEY UPDATE")
    with transaction.atomic(), release_change(release.pk):
        assert not _locks(release, "NO KEY UPDATE")
        assert not _locks(release, "UPDATE")
        assert _locks(release, "KEY SHARE")
    assert _locks(release, "NO KEY UPDATE")


@pytest.mark.postgres
def test_a_row_pointing_at_a_locked_release_commits_without_waiting(
    transactional_db, release, lead
):
    """A writer holding the release and waiting for the audit head, and a
    transaction holding the head whose row points at the release (checked at
    COMMIT), do not wait for each other: the order that deadlocked under
    FOR UPDATE."""
    holding, finished = threading.Event(), threading.Event()
    outcome: list = []

    def request_a_waiver() -> None:
        try:
            holding.wait(timeout=10)
            with transaction.atomic():
                outcome.append(
                    policy.waiver_request(
                        release=release,
                        blocker_type="item",
                        blocker_id=_check(release).pk,
                        reason="Checked by hand",
                        expires_at=timezone.now() + timedelta(hours=2),
                        by=lead,
                    )
                )
        except Exception as error:  # inspected below
            outcome.append(error)
        finally:
            finished.set()
            connection.close()

    other = threading.Thread(target=request_a_waiver)
    other.start()
    with transaction.atomic(), release_change(release.pk):
        holding.set()
        committed = finished.wait(timeout=10)
        audit.record(
            actor=lead,
            action="test.release_changed",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
        )
    other.join(timeout=10)

    assert committed, "the waiver waited for the release lock"
    assert [type(o).__name__ for o in outcome] == ["Waiver"]


@pytest.mark.postgres
def test_every_writer_counts_once_on_postgresql(transactional_db, release, lead):
    before = _revision(release)

    make_ready(release, lead)
    ready = services.release_transition(release=release, target=S.READY, by=lead)

    gates = sum(1 for item in release.items.all() if item.gates_readiness)
    roles = len(release.signoff_roles)
    assert _revision(release) == before + gates + roles + 1 == ready.revision
