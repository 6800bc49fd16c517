"""The item tick's verdict: the release's cached inputs, with the ticked item replaced.

A tick changes one item, yet its answer carries the whole readiness bar. Rather
than gather the release again (its items, evidence, sign-offs and policy facts),
the tick judges the inputs it cached before, with only the written item
replaced, when it can tell that nothing else changed:

- The cache key names the release, its revision (every service that changes the
  release bumps it once, a tick included) and a digest of what changes the
  verdict without a revision: the environment's enabled probes and freeze
  windows, the release's waivers, emergency exceptions and latest probe run
  (`stamps.tick_stamp`, one query, read after the tick's write).
- Inputs are stored only when they are known to be those of that revision: the
  stamp read after gathering is the one read before, and the release row the
  view holds is of that revision.
- After a write, the tick looks up the revision its own write started from (the
  revision the write counted, minus one), and only while the stamp shows its
  write as the latest. Anything else (another writer in between, a new probe,
  a freeze, a miss, Redis down) gathers again, as a page would.
"""

import hashlib
import logging
import pickle
from dataclasses import dataclass, replace
from datetime import datetime

from django.core.cache import cache

from apps.readiness import stamps
from apps.readiness.checklist import Section, checklist
from apps.readiness.inputs import changed_item_input, readiness_inputs
from apps.readiness.judge import Readiness, ReadinessInputs, judge
from apps.releases.models import Release, ReleaseItem

CACHE_SECONDS = 15 * 60
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
    """What is cached between ticks: the verdict's inputs and the sections."""

    inputs: ReadinessInputs
    sections: dict[int, SectionShape]  # by item id


@dataclass(frozen=True)
class Tick:
    readiness: Readiness
    section: Section | None
    # The item as just read with all of the release's items, when they were
    # read (gathered again); None when judged from the cache.
    item: ReleaseItem | None


def tick_verdict(
    release: Release,
    item: ReleaseItem,
    *,
    at: datetime,
    written_revision: int | None = None,
) -> Tick:
    """The readiness and the item's section after a tick of `item`.

    `written_revision` is the revision the tick's write counted (None when
    nothing was written); `release` is the row read before the write.
    """
    stamp = stamps.tick_stamp(release.pk)
    if written_revision is None:
        base = stamp.revision
    elif stamp.revision == written_revision:
        base = written_revision - 1
    else:
        base = None  # another change since the write: gather again
    cached = _cached(_key(stamp, base)) if base is not None else None
    if cached is None:
        return _gathered(release, item, stamp, at, written_revision)
    if written_revision is not None:
        cached = replace(
            cached, inputs=cached.inputs.with_item(changed_item_input(item))
        )
        cache.set(_key(stamp, stamp.revision), cached, CACHE_SECONDS)
    return Tick(
        judge(cached.inputs, at), _section(cached, item.pk, cached.inputs), None
    )


def _gathered(
    release: Release,
    item: ReleaseItem,
    stamp: stamps.TickStamp,
    at: datetime,
    written_revision: int | None,
) -> Tick:
    items = list(release.items.select_related("changed_by"))
    inputs = readiness_inputs(release, items)
    shapes = {}
    for phase in checklist(items):
        for section in phase.sections:
            members = tuple(member.pk for member in section.items)
            shape = SectionShape(section.key, section.number, section.title, members)
            shapes.update(dict.fromkeys(members, shape))
    gathered = TickInputs(inputs, shapes)
    # The release row (status, roles) is the one read before the write: of
    # this revision only when the write followed it directly.
    expected = release.revision + (0 if written_revision is None else 1)
    of_this_revision = (
        written_revision in (None, expected)
        and stamp.revision == expected
        and stamps.tick_stamp(release.pk) == stamp
    )
    if of_this_revision:
        cache.set(_key(stamp, stamp.revision), gathered, CACHE_SECONDS)
    current = next(other for other in items if other.pk == item.pk)
    return Tick(judge(inputs, at), _section(gathered, item.pk, inputs), current)


def _section(
    cached: TickInputs, item_id: int, inputs: ReadinessInputs
) -> Section | None:
    shape = cached.sections.get(item_id)
    if shape is None:
        return None
    by_id = {other.id: other for other in inputs.items}
    members = [by_id[member] for member in shape.members]
    return Section(key=shape.key, number=shape.number, title=shape.title, items=members)


def _cached(key: str) -> TickInputs | None:
    """The cached inputs, or None when they cannot be read back: an entry written
    by an earlier version of these classes (a deploy within CACHE_SECONDS) is a
    miss, gathered again, never an error for the person ticking."""
    try:
        cached = cache.get(key)
    except (TypeError, ValueError, AttributeError, ImportError, pickle.PickleError):
        logger.warning("tick cache entry unreadable, gathering again", exc_info=True)
        return None
    return cached if isinstance(cached, TickInputs) else None


def _key(stamp: stamps.TickStamp, revision: int) -> str:
    text = f"{stamp.release_id}:{revision}:{stamp.facts}"
    return f"tick:{hashlib.sha256(text.encode()).hexdigest()[:32]}"
