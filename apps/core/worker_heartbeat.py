"""Celery workers announce themselves in Redis on a timer, for /ready/ and liveness.

Each worker's event loop adds its host name to a sorted set scored by Redis's
own clock (so hosts with drifting clocks agree) and touches a local file that
the container's liveness check reads. Both run on the worker's timer, so they
stop when the worker's loop hangs, which is what a liveness check should see.

A heartbeat only says a worker was alive when it was written: one that died
leaves a fresh-looking entry behind, and Redis keeps it across a restart.
/ready/ therefore pings the workers the heartbeats name (workers_answering) and
counts only those that answer now.
"""

import logging
from functools import lru_cache
from pathlib import Path

import redis
from celery import bootsteps, current_app
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


def workers_answering(
    client: redis.Redis, within: float, timeout: float
) -> tuple[list[str], list[str]]:
    """(answered, expected): the workers that beat within the last `within`
    seconds, and those of them that answer a ping within `timeout` seconds now.

    The ping is Celery's remote control, answered by the worker's own event loop
    through the broker; the call returns as soon as every expected worker has
    answered, so it waits the whole timeout only while one of them does not.
    """
    expected = workers_seen(client, within)
    if not expected:
        return [], []
    replies = current_app.control.ping(
        destination=expected, timeout=timeout, limit=len(expected)
    )
    answered = {name for reply in replies for name in reply}
    return sorted(answered.intersection(expected)), expected


class Heartbeat(bootsteps.StartStopStep):
    """A worker bootstep: beat now and then every WORKER_HEARTBEAT_SECONDS."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None
        self.client = None
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
        if self.client is not None:
            try:
                # A worker that stops cleanly says so; /ready/ then does not
                # wait for its ping.
                self.client.zrem(HEARTBEAT_KEY, self.hostname)
            except redis.RedisError as error:
                logger.warning("worker heartbeat not removed: %s", error)

    def _beat(self) -> None:
        try:
            beat(self.client, self.hostname, settings.WORKER_HEARTBEAT_FILE)
        except (redis.RedisError, OSError) as error:
            # A missed beat is what /ready/ and the liveness check report.
            logger.warning("worker heartbeat failed: %s", error)


def install(app) -> None:
    """Add the heartbeat to `app`'s workers; called once from config/celery.py."""
    if Heartbeat not in app.steps["worker"]:
        app.steps["worker"].add(Heartbeat)
