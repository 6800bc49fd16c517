"""The Redis broker transport: kombu's, with one repair so a worker survives an outage.

celery 5.7.0 and kombu 5.7.0 (the newest on PyPI) kill a worker when Redis goes
away while a task is unacknowledged ("Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')"). On a lost connection the worker's consumer
first calls kombu's `Connection.collect()`, which closes the channels and then
detaches the transport from the connection (`transport.client = None`). Against a
Redis that is gone, that first close stops half-way: closing the remote-control
channel raises `ConnectionError`, which `collect()` swallows, so the task channel is
never marked closed. celery 5.7.0 then closes the connection a second time
(celery#10242, the fix for the hang of celery#9705). This second close reaches the
task channel, which tries to put its unacknowledged messages back on the queue.
That needs a new Redis client, and building one reads the connection details from
the detached transport: `None.hostname`. The AttributeError is not a connection
error, so the worker exits. The same crash happened before, in other shutdown paths
(kombu#582, kombu#970).

The repair: a channel whose transport was detached does nothing on close except
mark itself closed, as it was before celery#10242 added the second close. Its
unacknowledged messages are handled the way they would be anyway. If Redis kept
them, they go back on the queue after the visibility timeout. The task that is still
running acknowledges its message through the channel's own connection pool once
Redis is back. Every other close is kombu's own.
"""

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis

# Registered under the URL schemes rather than named in CELERY_BROKER_TRANSPORT,
# which would override every URL's scheme (memory:// in tests, rediss:// TLS).
SCHEMES = ("redis", "rediss")


class Channel(kombu_redis.Channel):
    """kombu's Redis channel; closing it after its transport was detached is a no-op."""

    def close(self) -> None:
        if not self.closed and self.connection.client is None:
            # Detached by Connection.collect(): nothing left to talk to Redis with.
            self.closed = True
            return
        super().close()


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with the channel above."""

    Channel = Channel


def install() -> None:
    """Make redis:// and rediss:// broker URLs use this transport (all processes)."""
    for scheme in SCHEMES:
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
