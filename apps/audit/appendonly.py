"""Database triggers that make the audit tables append-only, and their one escape hatch.

PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger and a statement-level
BEFORE TRUNCATE trigger (TRUNCATE fires no DELETE trigger) raise an error. A
session that sets `shipshape.audit_maintenance = on` may DELETE and TRUNCATE,
never UPDATE: the retention prune and the test suite's flush use it. SQLite has no
session settings, so there the escape hatch drops the DELETE triggers and puts
them back inside the same transaction.

A database superuser or the tables' owner can always drop these triggers; that is
what comparing a published chain head catches (docs/audit.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

TABLES = ("audit_auditevent", "audit_auditanchor")
GUC = "shipshape.audit_maintenance"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE'
       AND coalesce(current_setting('{GUC}', true), '') = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

POSTGRES_TRIGGERS = (
    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
)

SQLITE_TRIGGER = """
CREATE TRIGGER {table}_no_{op} BEFORE {OP} ON {table}
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: {OP} on {table} refused');
END;
"""


def _sqlite_trigger(table: str, op: str) -> str:
    return SQLITE_TRIGGER.format(table=table, op=op, OP=op.upper())


def install_sql(vendor: str) -> list[str]:
    """The statements that install the triggers on this database vendor."""
    if vendor == "postgresql":
        triggers = [sql.format(table=t) for t in TABLES for sql in POSTGRES_TRIGGERS]
        return [POSTGRES_FUNCTION, *triggers]
    if vendor == "sqlite":
        return [_sqlite_trigger(t, op) for t in TABLES for op in ("update", "delete")]
    return []


def uninstall_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {t}_{name} ON {t};"
            for t in TABLES
            for name in ("append_only", "no_truncate")
        ]
        return [*drops, "DROP FUNCTION IF EXISTS audit_refuse_change();"]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {t}_no_{op};"
            for t in TABLES
            for op in ("update", "delete")
        ]
    return []


@contextmanager
def maintenance(using: str = "default") -> Iterator[None]:
    """Let this transaction delete audit rows (never update them).

    Opens a transaction (a savepoint inside one); on PostgreSQL the setting is
    local to it.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [GUC])
            elif connection.vendor == "sqlite":
                for table in TABLES:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")
        # On an error the transaction (or savepoint) rolls back, which undoes
        # the setting and the dropped triggers too.
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [GUC])
            elif connection.vendor == "sqlite":
                for table in TABLES:
                    cursor.execute(_sqlite_trigger(table, "delete"))
