"""The postgres kind against the real PostgreSQL of the test environment.

The server uses trust authentication, so a wrong password is accepted; a
refused login is shown instead with a role and a database that do not exist.
These tests never touch Django's database (no `db` fixture).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.probes.kinds.conftest import probe
from tests.services import POSTGRES_URL, require

# No postgres marker: that marker asks for Django's database on PostgreSQL,
# while these tests need only a reachable server (tests.services.require).


@pytest.fixture(scope="module")
def pg() -> str:
    """The server's host:port, once it is known to be reachable."""
    parts = urlsplit(require("PostgreSQL", POSTGRES_URL, 5432))
    return f"{parts.hostname}:{parts.port or 5432}"


@pytest.fixture(scope="module")
def migrations_db(pg: str) -> Iterator[str]:
    """A scratch database holding django_migrations and alembic_version tables."""
    import psycopg

    name = f"probe_kinds_{os.getpid()}"
    admin = f"postgresql://postgres@{pg}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"postgresql://postgres@{pg}/{name}") as connection:
        connection.execute(
            "CREATE TABLE django_migrations (id serial PRIMARY KEY, "
            "app varchar(255), name varchar(255), applied timestamptz DEFAULT now())"
        )
        connection.execute(
            "INSERT INTO django_migrations (app, name) VALUES "
            "('releases', '0001_initial'), ('releases', '0002_item_state'), "
            "('probes', '0001_initial')"
        )
        connection.execute(
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"
        )
        connection.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    yield name
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_select_one_passes(pg: str) -> None:
    result = probe("postgres", f"postgresql://postgres@{pg}/postgres")

    assert result.status == "pass"
    assert result.summary.startswith("SELECT 1 in ")
    assert result.observed["latency_ms"] > 0
    assert result.observed["address"] == "127.0.0.1"
    assert result.observed["server_version"]


def test_key_value_dsn_passes(pg: str) -> None:
    host, port = pg.split(":")
    result = probe("postgres", f"host={host} port={port} dbname=test user=postgres")

    assert result.status == "pass"
    assert result.observed["database"] == "test"


def test_closed_port_fails(closed: int) -> None:
    result = probe("postgres", f"postgresql://postgres@127.0.0.1:{closed}/postgres")

    assert result.status == "fail"
    assert result.summary.startswith(f"cannot use PostgreSQL at 127.0.0.1:{closed}")
    assert "Connection refused" in result.summary


def test_unknown_role_is_a_refused_login(pg: str) -> None:
    result = probe("postgres", f"postgresql://no_such_role:pw1234@{pg}/postgres")

    assert result.status == "fail"
    assert result.summary.startswith("PostgreSQL refused the login")
    assert 'role "no_such_role" does not exist' in result.summary


def test_unknown_database_is_a_refused_login(pg: str) -> None:
    result = probe("postgres", f"postgresql://postgres@{pg}/no_such_database")

    assert result.status == "fail"
    assert 'database "no_such_database" does not exist' in result.summary


def test_password_never_appears_in_the_result(pg: str) -> None:
    target = f"postgresql://no_such_role:Hunter2-secret@{pg}/postgres"

    shown = str(probe("postgres", target).to_dict("postgres", target))

    assert "Hunter2-secret" not in shown
    assert "no_such_role:***@" in shown


def test_django_migrations_at_the_expected_head_pass(pg, migrations_db) -> None:
    result = probe(
        "postgres",
        f"postgresql://postgres@{pg}/{migrations_db}",
        expected_head="releases.0002_item_state,probes.0001_initial",
    )

    assert result.status == "pass"
    assert result.observed["migrations"]["applied"] == {
        "releases": "0002_item_state",
        "probes": "0001_initial",
    }


def test_django_migrations_behind_fail(pg, migrations_db) -> None:
    result = probe(
        "postgres",
        f"postgresql://postgres@{pg}/{migrations_db}",
        expected_head="releases.0003_signoffs",
    )

    assert result.status == "fail"
    assert result.summary.startswith(
        "releases.0003_signoffs not applied (latest 0002_item_state)"
    )


def test_django_migrations_past_the_head_fail(pg, migrations_db) -> None:
    result = probe(
        "postgres",
        f"postgresql://postgres@{pg}/{migrations_db}",
        expected_head="releases.0001_initial",
    )

    assert result.status == "fail"
    assert result.summary.startswith(
        "releases is past 0001_initial, at 0002_item_state"
    )


def test_alembic_head_is_checked(pg, migrations_db) -> None:
    target = f"postgresql://postgres@{pg}/{migrations_db}"

    ok = probe("postgres", target, migrations="alembic", expected_head="ae1027a6acf")
    behind = probe(
        "postgres", target, migrations="alembic", expected_head="1975ea83b712"
    )

    assert ok.status == "pass"
    assert behind.status == "fail"
    assert behind.summary.startswith("alembic head is ae1027a6acf")


def test_missing_migrations_table_fails(pg: str) -> None:
    result = probe(
        "postgres", f"postgresql://postgres@{pg}/test", expected_head="x.0001_initial"
    )

    assert result.status == "fail"
    assert result.summary.startswith("no django_migrations table")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("host=127.0.0.1 sslkey=/etc/ssl/private/key.pem", "sslkey is not accepted"),
        ("host=127.0.0.1 passfile=/root/.pgpass", "passfile is not accepted"),
        ("host=127.0.0.1 service=prod", "service is not accepted"),
        ("host=127.0.0.1 hostaddr=10.0.0.1", "hostaddr is not accepted"),
        ("host=127.0.0.1 options=-csearch_path=x", "options is not accepted"),
        ("postgresql://postgres@127.0.0.1/db?sslrootcert=/x", "sslrootcert is not"),
        ("host=/var/run/postgresql dbname=postgres", "socket directories are refused"),
        ("postgresql:///postgres", "socket directories are refused"),
        ("host=a.example,b.example", "one host name or IP address"),
        ("host=127.0.0.1 port=99999", "port '99999' is not between 1 and 65535"),
        ("host=127.0.0.1 sslmode=sometimes", "sslmode must be one of"),
        ("mysql://127.0.0.1/db", "target must be a PostgreSQL DSN"),
        ("host=127.0.0.1 'broken", "malformed DSN"),
    ],
)
def test_refused_parameters_are_errors(target: str, message: str, connections) -> None:
    result = probe("postgres", target)

    assert result.status == "error"
    assert message in result.summary
    assert connections == []


def test_a_blocked_host_is_never_contacted(resolver, silent_server) -> None:
    resolver.names["db.internal.example"] = ["10.20.0.5"]
    accepted = silent_server.accepted

    result = probe(
        "postgres", f"postgresql://postgres@db.internal.example:{silent_server.port}/x"
    )

    assert result.status == "fail"
    assert result.summary == (
        "blocked: db.internal.example resolves to a refused address: "
        "10.20.0.5 is private (RFC 1918)"
    )
    assert silent_server.accepted == accepted


def test_the_vetted_address_is_pinned_with_hostaddr(resolver, pg: str) -> None:
    # libpq would resolve this name itself if hostaddr were not set.
    resolver.names["pg.shop.test"] = ["127.0.0.1"]
    port = pg.split(":")[1]

    result = probe("postgres", f"postgresql://postgres@pg.shop.test:{port}/postgres")

    assert result.status == "pass"
    assert result.observed["address"] == "127.0.0.1"


def test_a_silent_server_is_cut_off_at_the_deadline(silent_server) -> None:
    started = time.monotonic()

    result = probe(
        "postgres", f"postgresql://postgres@127.0.0.1:{silent_server.port}/x", timeout=1
    )

    assert result.status == "fail"
    assert "deadline of 1 s exceeded" in result.summary
    assert time.monotonic() - started < 2.0
