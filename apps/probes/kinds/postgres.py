"""The postgres probe kind: connect, SELECT 1, optionally check the migration head."""

from __future__ import annotations

import math
import time
from typing import Any

from apps.probes.kinds import net
from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result

# Everything else libpq understands (hostaddr, sslkey, sslcert, sslrootcert,
# passfile, service, options, ...) is refused: several read files on the
# worker, and hostaddr or a service file would bypass the egress policy. Host
# and port lists are refused too: exactly one host and one port are vetted.
ACCEPTED = ("host", "port", "dbname", "user", "password", "sslmode")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# A path that never exists, so libpq reads neither the worker's ~/.pgpass nor
# its ~/.postgresql client certificate and key (a missing file means none).
_NO_FILE = "/nonexistent/shipshape-probe/none"
_LOGIN_REFUSED = (
    "password authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "authentication failed",
    "permission denied",
)


def _prepare(local_credentials: bool) -> None:
    """Import psycopg (about 0.15 s) before the deadline starts."""
    import psycopg.conninfo  # noqa: F401


@probe_kind(
    {"expected_head", "migrations"},
    prepare=_prepare,
    required=("latency_ms",),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Connect to a DSN (URL or key=value) and run SELECT 1.

    Only host, port, dbname, user, password and sslmode are accepted, one
    host and one port (the last `port` wins, as in libpq, and that is the one
    vetted); the vetted address is pinned with libpq's hostaddr and
    connect_timeout is always set. With `expected_head`, also check
    migrations: for Django (`migrations=django`, the default) a list of
    `app.migration` that must each be the latest applied migration of its
    app; for Alembic (`migrations=alembic`) the set of revisions in
    alembic_version. Pass: SELECT 1 answered (and the head matches). Fail:
    refused, login refused (unknown role or database, wrong password), or
    migrations not at the expected head.
    """
    import psycopg

    params = parse_dsn(target, context)
    table = options.choice("migrations", ("django", "alembic"), "django")
    expected = options.items("expected_head")
    deadline = context.deadline
    host, port = params["host"], int(params.get("port", 5432))
    vetted = net.vet(host, port, context.allowed, deadline)
    sslmode = params.get("sslmode", "prefer")
    remaining_ms = int(deadline.remaining() * 1000)
    connect_args: dict[str, Any] = {
        "host": host,
        "hostaddr": vetted.address,
        "port": str(port),
        "sslmode": sslmode,
        # libpq counts whole seconds and treats anything under 2 as 2.
        "connect_timeout": str(max(2, math.ceil(deadline.remaining()))),
        "passfile": _NO_FILE,
        "sslcert": _NO_FILE,
        "sslkey": _NO_FILE,
        "gssencmode": "disable",
        "application_name": "shipshape-probe",
        "options": f"-c statement_timeout={max(remaining_ms, 1)}",
    }
    for key in ("dbname", "user", "password"):
        if key in params:
            connect_args[key] = params[key]
    if sslmode in ("verify-ca", "verify-full"):
        connect_args["sslrootcert"] = context.ca_file or "system"

    started = time.monotonic()
    try:
        with psycopg.connect(**connect_args, autocommit=True) as connection:
            connect_ms = round((time.monotonic() - started) * 1000, 2)
            query_started = time.monotonic()
            connection.execute("SELECT 1").fetchone()
            query_ms = round((time.monotonic() - query_started) * 1000, 2)
            latency_ms = round((time.monotonic() - started) * 1000, 2)
            observed: dict[str, Any] = {
                "latency_ms": latency_ms,
                "connect_ms": connect_ms,
                "query_ms": query_ms,
                "server_version": connection.info.parameter_status("server_version"),
                "address": vetted.address,
                "database": connection.info.dbname,
                "ssl_in_use": bool(connection.info.pgconn.ssl_in_use),
            }
            problem = None
            if expected:
                problem, applied = check_migrations(connection, table, expected)
                observed["migrations"] = {
                    "table": table,
                    "expected": expected,
                    "applied": applied,
                }
    except psycopg.Error as error:
        raise _failure(error, host, port, deadline) from None
    version = observed["server_version"]
    if problem:
        return Result("fail", f"{problem} (PostgreSQL {version})", observed)
    heads = f", migrations at {', '.join(expected)}" if expected else ""
    summary = f"SELECT 1 in {latency_ms:g} ms on PostgreSQL {version}{heads}"
    return Result("pass", summary, observed)


def parse_dsn(target: str, context: ProbeContext) -> dict[str, str]:
    """Parse a DSN and refuse every parameter but the six accepted ones."""
    from psycopg.conninfo import conninfo_to_dict

    if not target.startswith(("postgresql://", "postgres://")) and "=" not in target:
        raise ProbeError("target must be a PostgreSQL DSN (postgresql://...)")
    try:
        params = {key: str(value) for key, value in conninfo_to_dict(target).items()}
    except Exception as error:
        raise ProbeError(f"malformed DSN: {error}") from None
    context.secret(params.get("password"))
    refused = sorted(set(params) - set(ACCEPTED))
    if refused:
        raise ProbeError(
            f"DSN parameter {', '.join(refused)} is not accepted "
            f"(only {', '.join(ACCEPTED)})"
        )
    host = params.get("host", "")
    if not host or host.startswith("/"):
        raise ProbeError("DSN must name a host (socket directories are refused)")
    if "," in host or "@" in host:
        raise ProbeError("DSN host must be one host name or IP address")
    params["host"] = net.normalise_host(host)
    port = params.get("port", "5432")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ProbeError(f"port {port!r} is not between 1 and 65535")
    if params.get("sslmode", "prefer") not in SSLMODES:
        raise ProbeError(f"sslmode must be one of {', '.join(SSLMODES)}")
    return params


def check_migrations(
    connection: Any, table: str, expected: list[str]
) -> tuple[str | None, Any]:
    """Compare applied migrations with the expected head; return a problem or None."""
    import psycopg

    try:
        if table == "alembic":
            rows = connection.execute("SELECT version_num FROM alembic_version")
            applied = sorted(row[0] for row in rows.fetchall())
            if set(applied) != set(expected):
                return f"alembic head is {', '.join(applied) or 'empty'}", applied
            return None, applied
        latest: dict[str, str | None] = {}
        problems = []
        for head in expected:
            app, _, name = head.partition(".")
            if not app or not name:
                raise ProbeError(f"expected_head {head!r} must look like app.0001_name")
            rows = connection.execute(
                "SELECT name FROM django_migrations WHERE app = %s", (app,)
            ).fetchall()
            names = sorted(row[0] for row in rows)
            latest[app] = names[-1] if names else None
            if name not in names:
                problems.append(f"{head} not applied (latest {latest[app]})")
            elif names[-1] != name:
                problems.append(f"{app} is past {name}, at {names[-1]}")
        return ("; ".join(problems) or None), latest
    except psycopg.errors.UndefinedTable:
        name = "alembic_version" if table == "alembic" else "django_migrations"
        return f"no {name} table", None


def _failure(error: Exception, host: str, port: int, deadline: Any) -> ProbeFailure:
    message = " ".join(str(error).split())
    message = message.removeprefix("connection failed: ")
    if deadline.expired():
        return deadline.exceeded(f"talking to PostgreSQL at {host}:{port}")
    if any(text in message for text in _LOGIN_REFUSED):
        return ProbeFailure(f"PostgreSQL refused the login: {message}")
    return ProbeFailure(f"cannot use PostgreSQL at {host}:{port}: {message}")
