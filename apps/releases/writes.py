"""The one way to write a release: lock its row, make the change, count it once.

Every writer that changes what a release's pages, readiness or API show (a
tick, a sign-off, a probe run's evidence, a transition, an edit, a waiver or
emergency exception approval) runs inside `release_change(release_id)`:

1. It locks the release row first, in one mode, `FOR NO KEY UPDATE`, before any
   other row of the release (items, sign-offs, runs) and before the audit
   head, which `audit.record()` locks last.
2. It counts the change once: `revision = F("revision") + 1`, on leaving the
   block, however many nested changes of the same release the block holds (a
   probe run's evidence sets several items inside the run's finish).
3. Audit (`audit.record`) and announcements (`core.events.publish`) stay with
   the writer, inside the block; notifications send after commit.
4. The revision's mirror in Redis (apps.releases.revisions), which polled
   readiness answers read, is forgotten inside the transaction (before the
   lock is taken, so no writer waits for it) and stored again after the
   commit.

Why `FOR NO KEY UPDATE`: it conflicts with itself (and with `FOR UPDATE`), so
writers of one release still run one after another, and `release_transition()`
judges readiness under the lock with nothing able to change it before commit
(tests/resilience/test_deploy_race.py). Unlike `FOR UPDATE`, it does not
conflict with `FOR KEY SHARE`, the lock PostgreSQL takes for the deferred
foreign-key check, at COMMIT, of a row that points at the release (a probe run,
a waiver, a verification window). Such a transaction holds the audit head by
then; under `FOR UPDATE` it waited for a writer that itself waited for the head,
a deadlock (found by bench/soak.py, tests/resilience/test_concurrency.py).
`FOR NO KEY UPDATE` is also the lock the revision's own UPDATE takes, so the
lock is never upgraded within a transaction. The other rows of the release are
locked after it, the audit head last. On SQLite there are no row locks; it
runs one writer at a time.

A second counter, `Release.activity`, is not bumped here: a database trigger
(apps/releases/activity.py) stamps every INSERT and UPDATE of the row, through
any code path, so that the list's cache stamp sees writes that bypass the
services too.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.core import rows
from apps.core.rows import table
from apps.releases import revisions
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release, ReleaseItem

# The changes open in this thread, by release id: a nested change of the same
# release joins the outer one (its lock is held, its count is the outer's).
_open = threading.local()

# Called with the release id after the commit of every counted change.
_listeners: list[Callable[[int], None]] = []


def on_change(listener: Callable[[int], None]) -> None:
    """Have listener(release_id) called after each committed change of a release.

    For apps above that act when a verdict may have moved (apps.integrations
    answers deploy platforms waiting on it); registered once, in their
    AppConfig.ready(). Listeners run after commit, so they see the change and a
    rolled-back change calls none; they should only enqueue work.
    """
    if listener not in _listeners:
        _listeners.append(listener)


@dataclass(frozen=True)
class ItemLock:
    """An item of the release to lock with it, in the release's own locking
    statement (the release first, then the item: the order every writer
    keeps), with one more column of the item (aliased `i`, the release `r`;
    names only) when `read` is given."""

    pk: int
    read: str = ""


class ReleaseChange:
    """The locked release of one change, and whether it is still to be counted.

    A change nested in a change of the same release shares its release and its
    count (`outer`).
    """

    def __init__(
        self,
        release: Release,
        outer: "ReleaseChange | None" = None,
        item: ReleaseItem | None = None,
        item_read: object = None,
    ) -> None:
        self.release = release
        self.outer = outer or self
        self.changed = True
        self.nested_changed = False
        self.counted = False
        # The item locked with the release (release_change(item=...)), and the
        # value of its ItemLock.read column; None in a change that joins an
        # outer one, which locks nothing itself.
        self.item = item
        self.item_read = item_read
        # The activity number the count's UPDATE drew (PostgreSQL; None when it
        # is not known: SQLite, or a change counted by save()).
        self.activity: int | None = None
        # Named WITH queries sent with the count (write(), with_queries()).
        self.writes: list[tuple[str, Sequence]] = []

    def write(self, sql: str, params: Sequence) -> None:
        """Run an UPDATE of another row of this release (one that this change
        has locked), with the count, in its round trip, on PostgreSQL.

        For the last write of the block that nothing reads back before the
        block ends: until then the row reads as it was. A change nested in an
        outer one, one counted by save(), and SQLite run it at once.
        """
        if self._now():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        self.writes.append((f"w{len(self.writes)} AS ({sql})", params))

    def with_queries(self, queries: str, params: Sequence) -> None:
        """write() for named WITH queries (`name AS (...)`, comma-separated,
        names of the caller's own), PostgreSQL only: audit.record(send=...)
        appends its event so."""
        if connection.vendor != "postgresql":
            raise NotImplementedError("Data-modifying WITH queries need PostgreSQL.")
        if self._now():
            with connection.cursor() as cursor:
                cursor.execute(f"WITH {queries} SELECT 1", params)
            return
        self.writes.append((queries, params))

    def _now(self) -> bool:
        return (
            self.outer is not self or self.counted or connection.vendor != "postgresql"
        )

    def _flush(self) -> None:
        """Run the writes that no count took along."""
        writes, self.writes = self.writes, []
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH {', '.join(q for q, _ in writes)} SELECT 1",
                [value for _, values in writes for value in values],
            )

    def unchanged(self) -> None:
        """Leave the counter alone: the change turned out to change nothing."""
        self.changed = False

    def save(self, *fields: str) -> None:
        """Write these fields of the locked release and count the change, in one
        UPDATE; `updated_at` is set too."""
        release = self.release
        release.updated_at = timezone.now()
        values = {name: getattr(release, name) for name in (*fields, "updated_at")}
        if not self.outer.counted:
            values["revision"] = F("revision") + 1
        Release.objects.filter(pk=release.pk).update(**values)
        self._counted()

    def _count(self) -> None:
        writes, self.writes = self.writes, []
        # Each pending write rides along as a data-modifying WITH clause: run
        # with the count, in one statement, on the same snapshot.
        sql = _count_sql()
        params: list = []
        if writes:
            sql = f"WITH {', '.join(queries for queries, _ in writes)} {sql}"
            for _, values in writes:
                params.extend(values)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.release.pk])
            if connection.vendor == "postgresql":
                # The trigger's number, returned by the UPDATE itself.
                self.outer.activity = cursor.fetchone()[0]
        self._counted()

    def _counted(self) -> None:
        if not self.outer.counted:
            # Under the row lock the value read plus one is the value written.
            self.release.revision += 1
            self.outer.counted = True


def _changes() -> dict[int, ReleaseChange]:
    if not hasattr(_open, "changes"):
        _open.changes = {}
    return _open.changes


def release_lock(release_id: int) -> Release:
    """Lock the release row for the rest of the transaction (FOR NO KEY UPDATE)
    and return it, without counting a change: for writers that hang something
    off a release without changing what it shows (starting a probe run).

    Inside a change of the same release, the locked row is returned again.
    """
    change = _changes().get(release_id)
    if change is not None:
        return change.release
    return _lock(release_id)[0]


def _lock(
    release_id: int, item: ItemLock | None = None
) -> tuple[Release, ReleaseItem | None, object]:
    """The release row locked, and the item locked with it and its read value."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "A release lock lasts for a transaction; open one first."
        )
    with connection.cursor() as cursor:
        if item is None:
            cursor.execute(_lock_sql(None), [release_id])
        else:
            cursor.execute(_lock_sql(item.read), [item.pk, release_id])
        row = cursor.fetchone()
    if row is None:
        if item is not None and _lock(release_id):
            # The release is there (and now locked): the item is not, or is
            # another release's.
            raise ReleaseItem.DoesNotExist(f"No checklist item {item.pk}.")
        raise Release.DoesNotExist(f"No release {release_id}.")
    locked = rows.instance(Release, row)
    if item is None:
        return locked, None, None
    return (
        locked,
        rows.instance(ReleaseItem, row, _RELEASE_COLUMNS),
        row[_RELEASE_COLUMNS + _ITEM_COLUMNS] if item.read else None,
    )


_RELEASE_COLUMNS = len(Release._meta.concrete_fields)
_ITEM_COLUMNS = len(ReleaseItem._meta.concrete_fields)


# Every release write runs these two statements: written by hand, they cost a
# fraction of building them with the ORM each time (names only, values bound).
@cache
def _lock_sql(item_read: str | None) -> str:
    """The locking read: the release (`r`); with an item (`item_read` not
    None), the item (`i`) and its one more column after the release's, locked
    in the same statement, after it."""
    features = connection.features
    lock = " FOR NO KEY UPDATE" if features.has_select_for_no_key_update else ""
    columns = rows.columns(Release, "r")
    source = f"{table(Release)} r"
    if item_read is not None:
        columns += ", " + rows.columns(ReleaseItem, "i")
        columns += f", {item_read}" if item_read else ""
        source += f" JOIN {table(ReleaseItem)} i ON i.id = %s AND i.release_id = r.id"
        if lock and features.has_select_for_update_of:
            # One clause per table, in this order: PostgreSQL takes the row
            # locks of a joined row in the order of its locking clauses.
            lock = " FOR NO KEY UPDATE OF r FOR UPDATE OF i"
    return f"SELECT {columns} FROM {source} WHERE r.id = %s{lock}"  # noqa: S608


@cache
def _count_sql() -> str:
    returning = " RETURNING activity" if connection.vendor == "postgresql" else ""
    return (
        f"UPDATE {table(Release)} SET revision = revision + 1 WHERE id = %s{returning}"  # noqa: S608
    )


@contextmanager
def release_change(
    release_id: int, *, item: ItemLock | None = None, forget: bool = True
) -> Iterator[ReleaseChange]:
    """Lock the release, run the block, count the change once on leaving it.

    Raises Release.DoesNotExist for an unknown id. An exception leaving the
    block rolls its writes back and counts nothing; `change.unchanged()` leaves
    the counter alone for a write that turned out to change nothing. A change of
    the same release inside the block joins it and is counted with it.

    `item`: an item of the release to lock with it, in the same statement
    (`change.item`; ReleaseItem.DoesNotExist when the release has no such
    item). A change that joins an outer one locks nothing: `change.item` is
    None, and the caller locks the item itself.

    `forget=False`: the caller drops the revision's mirror itself
    (`revisions.forget()`, or its key, `revisions.key()`) before the commit:
    the item tick does, in the Redis command that carries its inputs forward.
    """
    changes = _changes()
    outer = changes.get(release_id)
    with transaction.atomic(savepoint=False):
        if outer is not None:
            inner = ReleaseChange(outer.release, outer)
            yield inner
            if inner.changed:
                outer.nested_changed = True
            return
        # Forget the revision's mirror before waiting for the lock, not under
        # it: a poll from now until the commit reads the database.
        if forget:
            revisions.forget(release_id)
        locked, locked_item, item_value = _lock(release_id, item)
        change = ReleaseChange(locked, item=locked_item, item_read=item_value)
        changes[release_id] = change
        try:
            yield change
        finally:
            del changes[release_id]
        if (change.changed or change.nested_changed) and not change.counted:
            change._count()
        if change.writes:
            change._flush()
        if change.counted:
            release = change.release
            transaction.on_commit(
                partial(revisions.mirror, release_id, release.revision, release.team_id)
            )
            for listener in _listeners:
                transaction.on_commit(partial(listener, release_id))


def environment_changed(environment_id: int) -> list[int]:
    """Count a change on every open release of an environment.

    For writers of what the verdict of an environment's releases reads besides
    the releases themselves (freeze windows, probe configurations): the cached
    release pages, lists and API answers are keyed by revision, and the deploy
    platforms waiting on a release (`on_change` listeners) re-check it. Locks the
    releases in id order, as every writer does before the audit head, so call it
    before `audit.record()`. Returns the ids counted.
    """
    ids = list(
        Release.objects.filter(environment_id=environment_id, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for release_id in ids:
        with release_change(release_id):
            pass
    return ids
