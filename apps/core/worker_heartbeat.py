"""Celery workers announce themselves in Redis on a timer, for /ready/ and liveness.

Each worker's event loop adds its host name to a sorted set scored by Redis's
own clock (so hosts with drifting clocks agree) and touches a local file that
the container's liveness check reads. Both run on the worker's timer, so they
stop when the worker's loop hangs, which is what a liveness check should see.
"""

import logging
from functools import lru_cache
from pathlib import Path

import redis
from celery import bootsteps
from django.conf import settings

HEARTBEAT_KEY = "shipshape:workers:heartbeat"
# Entries older than this are dropped by the next heartbeat of any worker.
FORGET_AFTER_SECONDS = 24 * 3600

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )


def broker_client() -> redis.Redis | None:
    """A Redis client for the Celery broker, or None when tasks run in-process."""
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return _client_for(url)


def server_time(client: redis.Redis) -> float:
    seconds, microseconds = client.time()
    return seconds + microseconds / 1_000_000


def beat(client: redis.Redis, hostname: str, file: str = "") -> None:
    """Record one heartbeat for `hostname`; raises redis errors to the caller."""
    now = server_time(client)
    pipe = client.pipeline(transaction=False)
    pipe.zadd(HEARTBEAT_KEY, {hostname: now})
    pipe.zremrangebyscore(HEARTBEAT_KEY, "-inf", now - FORGET_AFTER_SECONDS)
    pipe.execute()
    if file:
        Path(file).touch()


def workers_seen(client: redis.Redis, within: float) -> list[str]:
    """Host names of the workers that beat within the last `within` seconds."""
    now = server_time(client)
    names = client.zrangebyscore(HEARTBEAT_KEY, now - within, "+inf")
    return sorted(name.decode() for name in names)


class Heartbeat(bootsteps.StartStopStep):
    """A worker bootstep: beat now and then every WORKER_HEARTBEAT_SECONDS."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None
        self.hostname = worker.hostname

    def start(self, worker) -> None:
        self.client = broker_client()
        if self.client is None:
            return
        self._beat()
        self.tref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self._beat, priority=10
        )

    def stop(self, worker) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def _beat(self) -> None:
        try:
            beat(self.client, self.hostname, settings.WORKER_HEARTBEAT_FILE)
        except (redis.RedisError, OSError) as error:
            # A missed beat is what /ready/ and the liveness check report.
            logger.warning("worker heartbeat failed: %s", error)


def install(app) -> None:
    """Add the heartbeat to `app`'s workers; called once from CoreConfig.ready()."""
    if Heartbeat not in app.steps["worker"]:
        app.steps["worker"].add(Heartbeat)
