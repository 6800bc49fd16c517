"""Each release's revision and team, mirrored in Redis for the readiness pollers.

Pipelines and deploy platforms poll a release's readiness many times a second
between them. Its answer is cached by the release's revision
(apps.readiness.api), so all a poll has to learn is that revision, and that the
caller's teams include the release's. Read from PostgreSQL, that one statement
cost a third of a polled answer; here it is read with the API throttle's count,
in the same Redis round trip (apps.core.api_defaults).

The mirror is never ahead of the database, and is behind it only when Redis
lost a write:

- `release_change()` (apps.releases.writes) forgets the mirror inside the
  writing transaction, and stores the new revision after the commit, before the
  writer's response leaves: whoever learns of a change can read it here.
- A poll that finds no mirror reads the database and stores what it read. It
  cannot put back an older revision than a writer stored after it
  (`raise_to` keeps the larger), so a poll that read just before a commit
  leaves the newer revision in place.
- A reader that stored just before a commit, whose writer then could not reach
  Redis, leaves an old revision: it expires after `SECONDS`, the most a verdict
  can lag behind a write (docs/resilience.md, "Trade-offs and known limits").

Without Redis (a laptop's in-memory cache) there is no mirror: every poll reads
the database.
"""

from collections.abc import Mapping

from django.core.cache import cache

# How long a mirrored revision is relied on; see above.
SECONDS = 10

PREFIX = "release-revision:"


def _enabled() -> bool:
    return hasattr(cache, "raise_to")


def key(release_id: int) -> str:
    """The mirror's cache key, for reading it with another call (the API
    throttle's, apps.core.api_defaults)."""
    return PREFIX + str(release_id)


def mirrored(
    release_id: int, read: Mapping[str, str | None] | None = None
) -> tuple[int, int] | None:
    """(revision, team id) of the release as last mirrored, or None.

    `read`: texts already read from the cache by key, if this one's is among
    them; else it is read now.
    """
    if not _enabled():
        return None
    name = key(release_id)
    text = read[name] if read is not None and name in read else cache.get_text(name)
    if text is None:
        return None
    revision, _, team_id = text.partition(":")
    try:
        return int(revision), int(team_id)
    except ValueError:
        return None


def mirror(release_id: int, revision: int, team_id: int) -> None:
    """Store the release's revision and team, unless a newer one is there."""
    if _enabled():
        cache.raise_to(
            key(release_id),
            revision,
            f"{revision}:{team_id}",
            SECONDS * 1000,
        )


def forget(release_id: int) -> None:
    """Drop the mirror: a write is under way (called inside its transaction)."""
    if _enabled():
        cache.delete(key(release_id))
