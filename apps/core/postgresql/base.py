"""Django's PostgreSQL backend, whose health check asks the socket, not the server.

With CONN_HEALTH_CHECKS, Django checks a reused connection before each request's
first query by sending `SELECT 1`: a whole round trip. A polled answer that
runs one query of its own (the readiness API) paid two, and the check was a
third of its time (docs/benchmarks.md). Here the check costs a poll() of the
connection's socket instead:

- Between requests an idle connection has nothing to read: the server sends
  nothing unasked. A server that shuts down, restarts or ends the session
  (`pg_terminate_backend`, `idle_session_timeout`) sends its FATAL message
  and closes the socket; its process dying closes it too. Either makes the
  socket readable, so the connection is closed and the request opens a new
  one, as after a failed `SELECT 1`.
- Whatever else is not the plain idle case (psycopg marked the connection
  closed or broken, or a transaction is open on it), and a platform without
  poll(), falls back to Django's `SELECT 1`.

A server that vanishes without closing the socket (a host gone, a network cut)
is not detected; neither does `SELECT 1` detect it before its own timeout.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        connection = self.connection
        if (
            connection is None
            or self.pool
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return super().close_if_health_check_failed()
        if (
            not hasattr(select, "poll")  # not on every platform (Windows)
            or connection.closed
            or connection.broken
            or connection.info.transaction_status != pq.TransactionStatus.IDLE
        ):
            return super().close_if_health_check_failed()
        if _server_spoke(connection):
            self.close()
        self.health_check_done = True
        return None


def _server_spoke(connection) -> bool:
    """Whether an idle connection's socket has something to read (a FATAL
    message, or the end of the stream): a server that said goodbye."""
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
