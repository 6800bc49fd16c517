"""The item tick's verdict: the release's cached inputs, with the ticked item replaced.

A tick changes one item, yet its answer carries the whole readiness bar. Rather
than gather the release again (its items, evidence, sign-offs and policy facts),
the tick judges the inputs cached for the release row it wrote over, with only
the written item replaced, when it can tell that nothing else changed:

- An entry is keyed by a version of the release row: its revision (every service
  that changes the release bumps it once, a tick included), its `activity` (a
  number drawn from a sequence at every write of the row: a version that a
  rolled-back transaction wrote never matches a committed one) and a digest of
  what changes the verdict without a revision: the environment's enabled probes
  and freeze windows, the release's waivers, emergency exceptions and latest
  probe run (`stamps.tick_stamp`, one query).
- A tick carries the entry forward inside its write's transaction, while it
  still holds the release's row lock (`carry_forward`): it reads the entry of the
  version it locked, replaces its item, and stores the entry of the version it
  wrote before it commits. The next writer of the release waits for that lock,
  so it finds the entry it starts from even when eight people tick at once.
  Anything else (a sign-off, a new probe, a freeze, a miss, Redis down) gathers
  again, under the lock, and stores what it gathered, so the next tick resumes.
- What is stored per version is small: the key of a full set of inputs (a base,
  stored once and kept unpickled in each process, `BASES_KEPT`) and the items
  written since that base, as bytes a tick extends: one Redis round trip under
  the lock reads the entry of the version it locked and stores it, with the
  written item appended, as the entry of the version it wrote
  (`TolerantRedisCache.extend`). A long list is stored again without the items
  written over since; a longer one becomes a base of its own.
- Judging and rendering happen after the commit, outside the lock (`tick_verdict`).
"""

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

from django.core.cache import cache
from django.db import connection, transaction

from apps.readiness import stamps
from apps.readiness.checklist import Section, checklist
from apps.readiness.inputs import changed_item_input, readiness_inputs
from apps.readiness.judge import ItemInput, Readiness, ReadinessInputs, judge
from apps.releases import revisions
from apps.releases.models import Release, ReleaseItem
from apps.releases.writes import ReleaseChange

CACHE_SECONDS = 15 * 60
# Items written since a base before the entry is stored as a base of its own.
MAX_CHANGES = 24
# Items appended to an entry (an item ticked twice counts twice) before it is
# stored again with each item once.
MAX_RECORDS = 2 * MAX_CHANGES
# In every key: entries of processes running another shape of the cached
# classes are never read. Unpickling one can succeed and give a broken object
# (a named tuple read back as a dataclass has no fields), so a version that
# changes their shape bumps this. 2: ItemInput and EvidenceInput named tuples.
# 3: entries are bytes that a tick extends, bases pickled by this module.
FORMAT = 3
# Bases kept unpickled in each process (about 100 kB each): one per release
# being ticked.
BASES_KEPT = 32
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionShape:
    """A checklist section: its progress counter's key and its items."""

    key: str
    number: str
    title: str
    members: tuple[int, ...]


@dataclass(frozen=True)
class TickInputs:
    """The verdict's inputs at one version of the release, and its sections."""

    inputs: ReadinessInputs
    sections: dict[int, SectionShape]  # by item id


@dataclass(frozen=True)
class TickEntry:
    """What is cached per version: the key of a base (a TickInputs) and the items
    written since it, which replace the base's; `records`, how many items its
    bytes hold (an item written twice is there twice)."""

    base: str
    changed: tuple[ItemInput, ...]
    records: int = 0


@dataclass(frozen=True)
class TickState:
    """The inputs a tick's answer is judged from, and the item as read with
    them when they were gathered again (None when they came from the cache).

    From the cache, the inputs are a base and the items written since it,
    which replace the base's when first judged (`cached`): after the commit,
    not under the release's lock.
    """

    base: TickInputs
    item: ReleaseItem | None
    changed: tuple[ItemInput, ...] = ()

    @cached_property
    def cached(self) -> TickInputs:
        if not self.changed:
            return self.base
        return replace(self.base, inputs=self.base.inputs.with_items(self.changed))


@dataclass(frozen=True)
class Tick:
    readiness: Readiness
    section: Section | None
    # The item as just read with all of the release's items, when they were
    # read (gathered again); None when judged from the cache.
    item: ReleaseItem | None


def carry_forward(
    release: Release,
    item: ReleaseItem,
    change: ReleaseChange | None = None,
    facts: tuple = (),
    *,
    forget: bool = False,
) -> TickState:
    """The inputs at the version a tick of `item` wrote, stored for the next tick.

    Called inside the write's transaction, holding the release's row lock:
    `release` is the locked release as the write left it (its revision the one
    the write counted, its activity that of the version it locked). With the
    write's `change`, when its count returned the activity it drew, and the
    stamp's `facts` (`stamps.tick_facts_sql`'s columns, which the tick reads
    with its item, before the lock: what a statement waiting for the lock would
    read too, since it reads as of its start), the stamp is known without
    reading it again.

    `forget`: drop the release's revision mirror too (apps.releases.revisions),
    for a write that left it to the tick: in the round trip that extends the
    entry, when there is one.
    """
    if change is not None and facts and change.activity is not None:
        stamp = stamps.tick_stamp_of(
            release.pk, release.revision, change.activity, facts
        )
    else:
        stamp = stamps.tick_stamp(release.pk)
    extended = connection.vendor == "postgresql"
    will_extend = extended and stamp.revision == release.revision
    if forget and not (will_extend and stamp.activity != release.activity):
        revisions.forget(release.pk)
    if stamp.activity == release.activity:
        # The release row was not written, so no version names what the item
        # write changed: read it all, store nothing.
        return _gathered(release, item, stamp, of_version=False)
    if stamp.revision != release.revision:
        return _gathered(release, item, stamp, of_version=False)
    locked = replace(stamp, revision=release.revision - 1, activity=release.activity)
    written = changed_item_input(item)
    record = _record(written)
    # The entry of the version locked, stored with the written item appended
    # as the entry of the version written, in one round trip (PostgreSQL; on
    # SQLite the entry is stored after the commit, below).
    if extended:
        held = _extend(
            _key(locked, locked.revision),
            _key(stamp, stamp.revision),
            record,
            forget=[revisions.key(release.pk)] if forget else [],
        )
    else:
        held = _get_bytes(_key(locked, locked.revision))
    found = _with_base(_entry(held))
    if found is None:
        return _gathered(release, item, stamp, of_version=True)
    entry, base = found
    changed = _latest((*entry.changed, written))
    entry = TickEntry(entry.base, changed, entry.records + 1)
    if len(changed) > MAX_CHANGES:
        return TickState(_store_base(stamp, _resolved(entry, base)), None)
    if not extended or entry.records > MAX_RECORDS:
        _store(stamp, entry)
    return TickState(base, None, changed)


def current(release: Release, item: ReleaseItem) -> TickState:
    """The inputs at the release's current version, for an answer that wrote
    nothing (a refused tick, the note form): cached, or gathered and cached when
    `release` is the row of that version and nothing changed while they were
    read."""
    stamp = stamps.tick_stamp(release.pk)
    version = (release.revision, release.activity)
    return _at(
        release, item, stamp, of_version=version == (stamp.revision, stamp.activity)
    )


def tick_verdict(state: TickState, item: ReleaseItem, *, at: datetime) -> Tick:
    """The readiness and the item's section, judged from `state` at `at`."""
    inputs = state.cached.inputs
    return Tick(judge(inputs, at), _section(state.cached, item.pk, inputs), state.item)


def _at(
    release: Release, item: ReleaseItem, stamp: stamps.TickStamp, *, of_version: bool
) -> TickState:
    found = _with_base(_entry(_get_bytes(_key(stamp, stamp.revision))))
    if found is not None:
        entry, base = found
        return TickState(base, None, entry.changed)
    return _gathered(release, item, stamp, of_version=of_version)


def _gathered(
    release: Release, item: ReleaseItem, stamp: stamps.TickStamp, *, of_version: bool
) -> TickState:
    """Gather the inputs again; store them when `release` (status, roles) is the
    row of the stamp's version and nothing changed the stamp meanwhile."""
    items = list(release.items.select_related("changed_by"))
    inputs = readiness_inputs(release, items)
    shapes = {}
    for phase in checklist(items):
        for section in phase.sections:
            members = tuple(member.pk for member in section.items)
            shape = SectionShape(section.key, section.number, section.title, members)
            shapes.update(dict.fromkeys(members, shape))
    gathered = TickInputs(inputs, shapes)
    if of_version and stamps.tick_stamp(release.pk) == stamp:
        _store_base(stamp, gathered)
    current = next(other for other in items if other.pk == item.pk)
    return TickState(gathered, current)


def _resolved(entry: TickEntry, base: TickInputs) -> TickInputs:
    if not entry.changed:
        return base
    return replace(base, inputs=base.inputs.with_items(entry.changed))


def _section(
    cached: TickInputs, item_id: int, inputs: ReadinessInputs
) -> Section | None:
    shape = cached.sections.get(item_id)
    if shape is None:
        return None
    by_id = {other.id: other for other in inputs.items}
    members = [by_id[member] for member in shape.members]
    return Section(key=shape.key, number=shape.number, title=shape.title, items=members)


def _store(stamp: stamps.TickStamp, entry: TickEntry, base: TickInputs | None = None):
    values = {_key(stamp, stamp.revision): _entry_bytes(entry)}
    if base is not None:
        values[entry.base] = pickle.dumps(base, pickle.HIGHEST_PROTOCOL)
        _bases.put(entry.base, base)

    def store() -> None:
        _set_bytes(values)

    if connection.vendor == "postgresql":
        # Before the commit, so the next writer (waiting for the row lock)
        # finds it; an entry of a transaction that then rolls back names an
        # activity number no committed version will have.
        store()
    else:
        # SQLite draws `activity` as the largest plus one, which a rolled-back
        # write may draw again; it runs one writer at a time, so storing after
        # the commit makes no one wait.
        transaction.on_commit(store)


def _store_base(stamp: stamps.TickStamp, inputs: TickInputs) -> TickInputs:
    key = f"tick:base:{_digest(stamp, stamp.revision)}"
    _store(stamp, TickEntry(key, ()), inputs)
    return inputs


# An entry's bytes: its base's key, a newline, then each item written since
# the base as a 4-byte length and the item pickled; a tick appends one more.
def _record(item: ItemInput) -> bytes:
    blob = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    return len(blob).to_bytes(4, "big") + blob


def _entry_bytes(entry: TickEntry) -> bytes:
    return entry.base.encode() + b"\n" + b"".join(map(_record, entry.changed))


# What unpickling bytes of another shape of the classes (or garbage) raises.
_UNREADABLE = (
    TypeError,
    ValueError,
    AttributeError,
    ImportError,
    EOFError,
    pickle.PickleError,
)


def _entry(held: bytes | None) -> TickEntry | None:
    """The entry these bytes hold, each item once (the last written); None
    when there are none or they cannot be read back."""
    if not held:
        return None
    try:
        base, _, records = held.partition(b"\n")
        items, at = [], 0
        while at < len(records):
            size = int.from_bytes(records[at : at + 4], "big")
            items.append(_item(records[at + 4 : at + 4 + size]))
            at += 4 + size
        return TickEntry(base.decode(), _latest(items), len(items))
    except _UNREADABLE:
        logger.warning("tick cache entry unreadable, gathering again", exc_info=True)
        return None


def _item(blob: bytes) -> ItemInput:
    """An entry's item, unpickled once per process: every tick of a release
    reads the items written before it again (most of them already read)."""
    item = _items.get(blob)
    if item is None:
        item = pickle.loads(blob)  # noqa: S301 (our own cache, as Django's pickles)
        if not isinstance(item, ItemInput):
            raise TypeError(f"not an item: {type(item).__name__}")
        if len(_items) >= ITEMS_KEPT:
            _items.clear()
        _items[blob] = item
    return item


# Items unpickled by _item(), by their bytes (a few hundred each).
ITEMS_KEPT = 4096
_items: dict[bytes, ItemInput] = {}


def _latest(items) -> tuple[ItemInput, ...]:
    """Each item once, as last written, in the order last written."""
    by_id: dict[int, ItemInput] = {}
    for item in items:
        by_id.pop(item.id, None)
        by_id[item.id] = item
    return tuple(by_id.values())


def _with_base(entry: TickEntry | None) -> tuple[TickEntry, TickInputs] | None:
    """The entry and its base, or None when either is missing or cannot be
    read back."""
    if entry is None:
        return None
    base = _bases.get(entry.base)
    if base is None:
        base = _unpickled(_get_bytes(entry.base))
        if not isinstance(base, TickInputs):
            return None
        _bases.put(entry.base, base)
    return entry, base


def _unpickled(held: bytes | None) -> object:
    """A stored base, or None when it cannot be read back: an entry written by
    an earlier version of these classes (a deploy within CACHE_SECONDS) is a
    miss, gathered again, never an error for the person ticking."""
    if held is None:
        return None
    try:
        return pickle.loads(held)  # noqa: S301 (our own cache, as Django's pickles)
    except _UNREADABLE:
        logger.warning("tick cache entry unreadable, gathering again", exc_info=True)
        return None


# Bytes as they are: on Redis (apps.core.cache.TolerantRedisCache) without
# pickling and the extend in one round trip; any other cache (a checkout
# without Redis) stores them as values.
def _get_bytes(key: str) -> bytes | None:
    if hasattr(cache, "get_bytes"):
        return cache.get_bytes(key)
    value = cache.get(key)
    return value if isinstance(value, bytes) else None


def _set_bytes(values: dict[str, bytes]) -> None:
    if hasattr(cache, "set_bytes"):
        cache.set_bytes(values, CACHE_SECONDS)
    else:
        cache.set_many(values, CACHE_SECONDS)


def _extend(key: str, into: str, tail: bytes, forget: list[str]) -> bytes | None:
    if hasattr(cache, "extend"):
        return cache.extend(key, into, tail, CACHE_SECONDS, forget)
    cache.delete_many(forget)
    held = _get_bytes(key)
    if held is not None:
        cache.set(into, held + tail, CACHE_SECONDS)
    return held


def _digest(stamp: stamps.TickStamp, revision: int) -> str:
    text = f"{FORMAT}:{stamp.release_id}:{revision}:{stamp.activity}:{stamp.facts}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _key(stamp: stamps.TickStamp, revision: int) -> str:
    """The entry's key for the release at `revision` and the stamp's activity
    and facts."""
    return f"tick:{_digest(stamp, revision)}"


class _Bases:
    """The bases this process read or wrote last, unpickled, each for as long
    as Redis keeps it (least recently used first out). A base never changes:
    its key names one version's inputs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[str, tuple[float, TickInputs]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> TickInputs | None:
        with self.lock:
            kept = self.values.get(key)
            if kept is None:
                return None
            if kept[0] < time.monotonic():
                del self.values[key]
                return None
            self.values.move_to_end(key)
            return kept[1]

    def put(self, key: str, value: TickInputs) -> None:
        with self.lock:
            self.values[key] = (time.monotonic() + CACHE_SECONDS, value)
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                self.values.popitem(last=False)


_bases = _Bases(BASES_KEPT)
