"""Bytes stored as they are, and extended in one round trip (the item tick's
carried entry, apps.readiness.tick), on a private Redis: what another process
reads back, and what a call answers while Redis is down."""

import pytest
from django.core.cache import caches


@pytest.fixture
def tolerant(redis_everywhere):
    return caches["default"]


def _raw(cache, key: str) -> bytes | None:
    """The value as Redis holds it, read past the cache."""
    redis_key = cache.make_and_validate_key(key)
    return cache._cache.get_client(redis_key).get(redis_key)


def test_bytes_are_stored_as_they_are_and_expire(tolerant, redis_everywhere):
    tolerant.set_bytes({"entry-a": b"base\n\x00\x01", "entry-b": b"b"}, 30)

    assert _raw(tolerant, "entry-a") == b"base\n\x00\x01"  # not pickled
    assert tolerant.get_bytes("entry-a") == b"base\n\x00\x01"
    assert tolerant.get_bytes("entry-b") == b"b"
    assert tolerant.get_bytes("entry-missing") is None
    redis_key = tolerant.make_and_validate_key("entry-a")
    assert 0 < redis_everywhere.client().ttl(redis_key) <= 30


def test_an_extend_stores_what_a_key_held_and_more_under_another(tolerant):
    tolerant.set_bytes({"version-1": b"base\n1"}, 30)

    held = tolerant.extend("version-1", "version-2", b"|2", 30)

    assert held == b"base\n1"
    assert tolerant.get_bytes("version-1") == b"base\n1"  # left as it was
    assert tolerant.get_bytes("version-2") == b"base\n1|2"
    assert tolerant.extend("version-2", "version-3", b"|3", 30) == b"base\n1|2"
    assert _raw(tolerant, "version-3") == b"base\n1|2|3"


def test_an_extend_of_a_missing_key_stores_nothing(tolerant):
    assert tolerant.extend("version-9", "version-10", b"|10", 30) is None
    assert tolerant.get_bytes("version-10") is None


def test_while_redis_is_down_bytes_miss_and_are_dropped(tolerant, redis_everywhere):
    tolerant.set_bytes({"version-1": b"base\n1"}, 30)
    redis_everywhere.stop()

    assert tolerant.get_bytes("version-1") is None
    assert tolerant.extend("version-1", "version-2", b"|2", 30) is None
    tolerant.set_bytes({"version-5": b"x"}, 30)  # dropped, no error
    assert "Redis unavailable" in tolerant.last_error


def test_an_extend_deletes_the_keys_it_forgets_hit_or_miss(tolerant):
    tolerant.set_bytes(
        {"version-1": b"base\n1", "mirror-a": b"7:1", "mirror-b": b"8:1"}, 30
    )

    assert (
        tolerant.extend("version-1", "version-2", b"|2", 30, ["mirror-a"]) == b"base\n1"
    )
    assert tolerant.get_bytes("mirror-a") is None
    assert tolerant.extend("version-9", "version-10", b"|10", 30, ["mirror-b"]) is None
    assert tolerant.get_bytes("mirror-b") is None
