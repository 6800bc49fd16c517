"""The PostgreSQL backend's health check (apps/core/postgresql): a reused
connection is checked before each request's first query by polling its socket,
not by sending `SELECT 1`.

Against the real PostgreSQL: each test plays what Django does around a request
(`close_if_unusable_or_obsolete()` at its start, then a query) on a connection
kept open between requests, as CONN_MAX_AGE keeps it in production.
"""

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_require_postgres"),
]


def _next_request() -> None:
    """What Django's request_started signal does to a kept connection."""
    connection.close_if_unusable_or_obsolete()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement_of(pid: int) -> str:
    """What PostgreSQL last saw backend `pid` run, asked on a connection of
    its own (pg_stat_activity.query)."""
    dsn = connection.get_connection_params()
    with psycopg.connect(**dsn, autocommit=True) as other:
        return other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()[0]


@pytest.fixture
def kept_connection(settings):
    """Health checks on, as config.settings turns them on."""
    connection.ensure_connection()
    enabled = connection.health_check_enabled
    connection.health_check_enabled = True
    yield
    connection.health_check_enabled = enabled


def test_the_configured_backend_is_the_one_with_the_socket_check():
    assert connection.settings_dict["ENGINE"] == "apps.core.postgresql"
    assert connection.vendor == "postgresql"


@pytest.mark.usefixtures("kept_connection")
def test_a_reused_connection_is_checked_without_a_round_trip():
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the request before'")
    _next_request()
    # What the next request's first query runs first (Django's _cursor()).
    connection.close_if_health_check_failed()
    assert connection.health_check_done
    # The server saw nothing since the request before: no SELECT 1.
    assert _last_statement_of(pid) == "SELECT 'the request before'"
    assert _backend_pid() == pid  # and the connection was kept


@pytest.mark.usefixtures("kept_connection")
def test_a_connection_the_server_ended_is_replaced_before_the_next_request():
    """The server ended the session between two requests (a restart or an
    administrator does this): the next request runs on a new connection
    instead of failing on the dead one."""
    old = _backend_pid()
    dsn = connection.get_connection_params()
    with psycopg.connect(**dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old])
        # Until its backend is gone, the server has not closed the socket yet.
        while other.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [old]
        ).fetchone():
            pass
    _next_request()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new = cursor.fetchone()[0]
    assert new != old


@pytest.mark.usefixtures("kept_connection")
def test_inside_an_open_transaction_the_check_asks_the_server():
    """A transaction already open on the connection is not the idle case the
    socket can speak for: Django's own SELECT 1 decides."""
    pid = _backend_pid()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'in a transaction'")
        connection.health_check_done = False
        connection.close_if_health_check_failed()
        assert _last_statement_of(pid) == "SELECT 1"
        assert _backend_pid() == pid
    finally:
        connection.rollback()
        connection.set_autocommit(True)
