"""Values read with get_near() stay in the process for their key's life: a
polled readiness answer costs no Redis round trip, and clear() or delete()
(or the timeout) ends that."""

import time

import pytest
from django.core.cache import cache


@pytest.fixture
def near_cache():
    if not hasattr(cache, "get_near"):
        pytest.skip("needs the Redis cache: set REDIS_URL")
    return cache


def _gone_from_redis(key: str) -> None:
    """Delete the entry in Redis itself, as another process flushing it would."""
    redis_key = cache.make_and_validate_key(key)
    cache._cache.get_client(redis_key, write=True).delete(redis_key)


def test_a_near_value_is_read_from_redis_once(near_cache):
    near_cache.set("near-test", b"body", 30)
    assert near_cache.get_near("near-test", 30) == b"body"

    _gone_from_redis("near-test")

    assert near_cache.get("near-test") is None
    assert near_cache.get_near("near-test", 30) == b"body"


def test_clear_and_delete_forget_near_values(near_cache):
    near_cache.set_near("near-a", b"a", 30)
    near_cache.set_near("near-b", b"b", 30)
    near_cache.delete("near-a")
    _gone_from_redis("near-b")
    assert near_cache.get_near("near-a", 30) is None
    assert near_cache.get_near("near-b", 30) == b"b"

    near_cache.clear()

    assert near_cache.get_near("near-b", 30) is None


def test_a_near_value_lasts_only_its_timeout(near_cache):
    near_cache.set_near("near-short", b"x", 0.2)
    _gone_from_redis("near-short")
    assert near_cache.get_near("near-short", 0.2) == b"x"

    time.sleep(0.3)

    assert near_cache.get_near("near-short", 0.2) is None
