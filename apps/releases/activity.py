"""The trigger that stamps every write to a release with a new `activity` number.

PostgreSQL: a BEFORE INSERT OR UPDATE row trigger sets `activity` from a
sequence. `nextval()` takes no lock and is never rolled back, so the trigger adds
no lock to a write and no lock ordering to think about; numbers only grow.
SQLite: AFTER INSERT and AFTER UPDATE triggers set it to one more than the
largest (SQLite runs one writer at a time; recursive triggers are off, so the
trigger's own UPDATE does not fire it again).
"""

# Statements built from this module's constant names; no values.
# ruff: noqa: S608

TABLE = "releases_release"
SEQUENCE = "releases_release_activity_seq"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION releases_stamp_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.activity := nextval('{SEQUENCE}');
    RETURN NEW;
END
$$;
"""


def _sqlite_trigger(operation: str) -> str:
    return f"""
CREATE TRIGGER IF NOT EXISTS releases_activity_{operation.lower()}
AFTER {operation} ON {TABLE} FOR EACH ROW BEGIN
    UPDATE {TABLE}
    SET activity = (SELECT COALESCE(MAX(activity), 0) + 1 FROM {TABLE})
    WHERE id = NEW.id;
END;
"""


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}",
            POSTGRES_FUNCTION,
            f"DROP TRIGGER IF EXISTS releases_activity ON {TABLE}",
            f"CREATE TRIGGER releases_activity BEFORE INSERT OR UPDATE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION releases_stamp_activity()",
        ]
    if vendor == "sqlite":
        return [_sqlite_trigger("INSERT"), _sqlite_trigger("UPDATE")]
    raise NotImplementedError(f"No release activity trigger for {vendor}.")


def uninstall_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS releases_activity ON {TABLE}",
            "DROP FUNCTION IF EXISTS releases_stamp_activity()",
            f"DROP SEQUENCE IF EXISTS {SEQUENCE}",
        ]
    return [
        f"DROP TRIGGER IF EXISTS releases_activity_{name}"
        for name in ("insert", "update")
    ]
