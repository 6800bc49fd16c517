"""A Redis cache that degrades instead of failing when Redis is unreachable.

Django's RedisCache raises on every call while Redis is down, so a page that
reads a cached permission or the sign-in lockout answers 500. Shipshape's cache
holds only what can be recomputed or forgotten (permission lookups, lockout
counters, throttle windows, readiness probes), so an outage degrades it to a
cache that remembers nothing: reads miss, writes are dropped, `add` and
`delete` report False, `incr` raises ValueError as for a missing key. The
trade-offs (sign-in lockout and API throttling are not enforced while Redis is
down) are listed in docs/resilience.md.

After a failure the cache does not try Redis again for `RETRY_AFTER_SECONDS`
(default 5), so a hung Redis costs one socket timeout per process and window,
not one per call. Once Redis answers again the cache works without a restart.
"""

import logging
import threading
import time
from collections.abc import Sequence

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
OUTAGE = (RedisConnectionError, RedisTimeoutError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` per connection pool.

    Django builds a new `redis.Redis` for every cache call, and each one fills a
    table of ~170 response callbacks: about a tenth of a millisecond, paid by
    every session read and cache lookup. A `redis.Redis` is safe to share
    between threads, and its pool reconnects after a fork.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


# One command (EVALSHA) instead of a MULTI/EXEC pipeline of five: the API
# throttle runs it on every request, and packing and parsing each command of a
# pipeline cost more than Redis running the script. Keys after the first are
# read as they are (a missing one answers false, which arrives as None).
_COUNT_IN_WINDOW = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local events = redis.call('INCR', KEYS[1])
local answer = {events, redis.call('PTTL', KEYS[1])}
for i = 2, #KEYS do
  answer[i + 1] = redis.call('GET', KEYS[i])
end
return answer
"""

# A value that starts with a number that only grows (a release's revision),
# stored unless the value held starts with a larger one: a writer that read
# before a change and stores after it never puts the older number back.
_RAISE_TO = """
local held = redis.call('GET', KEYS[1])
local number = held and tonumber(string.match(held, '^%d+'))
if number and number > tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# The bytes held under one key, followed by more, stored under another, and
# what the first held returned: the item tick's carried entry grows so
# (apps.readiness.tick), read and written in one round trip under its lock.
_EXTEND = """
for i = 3, #KEYS do
  redis.call('DEL', KEYS[i])
end
local held = redis.call('GET', KEYS[1])
if not held then
  return false
end
redis.call('SET', KEYS[2], held .. ARGV[1], 'EX', ARGV[2])
return held
"""


# Values read by get_near(), in this process (every thread): key -> (until, value).
_near: dict[str, tuple[float, object]] = {}
NEAR_LIMIT = 256


class TolerantRedisCache(RedisCache):
    """RedisCache whose calls fall back to a miss while Redis is unreachable."""

    def __init__(self, server, params) -> None:
        params = dict(params)
        self.retry_after = float(params.pop("RETRY_AFTER_SECONDS", 5))
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._scripts: dict[tuple[int, str], object] = {}
        self._lock = threading.Lock()
        self.last_error = ""

    @property
    def available(self) -> bool:
        """False while the cache is skipping Redis after a failure."""
        return time.monotonic() >= self._down_until

    def _call(self, method, fallback, *args, **kwargs):
        if not self.available:
            return fallback()
        try:
            value = method(*args, **kwargs)
        except OUTAGE as error:
            with self._lock:
                if self.available:
                    log.warning("cache unavailable (Redis): %s", error)
                self._down_until = time.monotonic() + self.retry_after
                self.last_error = f"Redis unavailable: {type(error).__name__}: {error}"
            return fallback()
        self.last_error = ""
        return value

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            super().add, lambda: False, key, value, timeout, version=version
        )

    def get(self, key, default=None, version=None):
        return self._call(super().get, lambda: default, key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            super().set, lambda: None, key, value, timeout, version=version
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, lambda: False, key, timeout, version=version)

    def get_near(self, key, timeout: float):
        """get() for a value that never changes under its key (the key names
        everything the value depends on, as fragment keys do): kept in this
        process for up to `timeout` seconds after it was read or written, so a
        polled answer costs no round trip. clear() and delete() forget it."""
        found = _near.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        value = self.get(key)
        if value is not None:
            self._keep_near(key, value, timeout)
        return value

    def set_near(self, key, value, timeout: float) -> None:
        """set(), and keep the value in this process as get_near() does."""
        self.set(key, value, timeout)
        self._keep_near(key, value, timeout)

    def _keep_near(self, key, value, timeout: float) -> None:
        if len(_near) >= NEAR_LIMIT:
            _near.clear()
        _near[key] = (time.monotonic() + timeout, value)

    def delete(self, key, version=None):
        _near.pop(key, None)
        return self._call(super().delete, lambda: False, key, version=version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, dict, keys, version=version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, lambda: False, key, version=version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable).")

        return self._call(super().incr, missing, key, delta, version=version)

    def count_in_window(
        self, key, seconds: int, also: Sequence[str] = ()
    ) -> tuple[int, float, list[str | None]] | None:
        """Count one more event in a window of `seconds` that starts with the
        first event, and read the texts stored under the keys `also` (as
        get_text() does): (events so far, seconds left, texts), in one round
        trip; None while Redis is unreachable."""

        def count():
            redis_keys = [self.make_and_validate_key(name) for name in also]
            events, left_ms, *texts = self._run(
                _COUNT_IN_WINDOW, key, seconds, also=redis_keys
            )
            texts += [None] * (len(also) - len(texts))
            return (
                events,
                max(left_ms, 0) / 1000,
                [None if text is None else text.decode() for text in texts],
            )

        return self._call(count, lambda: None)

    def get_text(self, key) -> str | None:
        """The text stored under key by raise_to(), or None (also while Redis
        is unreachable): a plain GET, no unpickling."""

        def get():
            redis_key = self.make_and_validate_key(key)
            value = self._cache.get_client(redis_key).get(redis_key)
            return None if value is None else value.decode()

        return self._call(get, lambda: None)

    def raise_to(self, key, number: int, text: str, ms: int) -> bool:
        """Store `text` (which starts with `number`) for `ms` milliseconds,
        unless what key holds starts with a larger number; in one round trip.
        False when it was not stored (or Redis is unreachable)."""
        return self._call(
            lambda: bool(self._run(_RAISE_TO, key, number, text, ms)),
            lambda: False,
        )

    def get_bytes(self, key) -> bytes | None:
        """The bytes stored under key by set_bytes() or extend(), as they are
        (no unpickling); None when missing or while Redis is unreachable."""

        def get():
            redis_key = self.make_and_validate_key(key)
            return self._cache.get_client(redis_key).get(redis_key)

        return self._call(get, lambda: None)

    def set_bytes(self, values: dict[str, bytes], seconds: int) -> None:
        """Store bytes as they are (no pickling), for `seconds`, in one round
        trip; dropped while Redis is unreachable."""

        def store():
            keys = {
                self.make_and_validate_key(key): value for key, value in values.items()
            }
            client = self._cache.get_client(next(iter(keys)), write=True)
            pipeline = client.pipeline(transaction=False)
            for redis_key, value in keys.items():
                pipeline.set(redis_key, value, ex=seconds)
            pipeline.execute()

        self._call(store, lambda: None)

    def extend(
        self, key, into, tail: bytes, seconds: int, forget: Sequence[str] = ()
    ) -> bytes | None:
        """Store the bytes held under `key` followed by `tail` under `into`, for
        `seconds`, and return what `key` held, in one round trip. None, and
        nothing stored, when `key` holds nothing or Redis is unreachable.
        The keys `forget` are deleted first, in the same round trip."""

        def run():
            keys = [self.make_and_validate_key(name) for name in (into, *forget)]
            return self._run(_EXTEND, key, tail, seconds, also=keys)

        return self._call(run, lambda: None)

    def _run(self, source: str, key, *args, also: Sequence[str] = ()):
        redis_key = self.make_and_validate_key(key)
        client = self._cache.get_client(redis_key, write=True)
        script = self._scripts.get((id(client), source))
        if script is None:
            script = self._scripts[id(client), source] = client.register_script(source)
        return script(keys=[redis_key, *also], args=list(args))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            super().set_many, lambda: list(data), data, timeout, version=version
        )

    def delete_many(self, keys, version=None):
        for key in keys:
            _near.pop(key, None)
        return self._call(super().delete_many, lambda: None, keys, version=version)

    def clear(self):
        _near.clear()
        return self._call(super().clear, lambda: False)
