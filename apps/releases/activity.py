"""Triggers that count the writes to each team's releases (see TeamActivity).

PostgreSQL: one row-level AFTER INSERT OR UPDATE OR DELETE trigger calling a
plpgsql function. SQLite: one trigger per operation. Both upsert the team's row
and add one; a release moved to another team counts for both teams.
"""

# Statements built from this module's constant table names; no values.
# ruff: noqa: S608

TABLE = "releases_release"
ACTIVITY = "releases_teamactivity"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION releases_count_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO {ACTIVITY} (team_id, version) VALUES (OLD.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET version = {ACTIVITY}.version + 1;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.team_id <> OLD.team_id) THEN
        INSERT INTO {ACTIVITY} (team_id, version) VALUES (NEW.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET version = {ACTIVITY}.version + 1;
    END IF;
    RETURN NULL;
END
$$;
"""


def _sqlite_trigger(operation: str, row: str) -> str:
    return f"""
CREATE TRIGGER IF NOT EXISTS releases_activity_{operation.lower()}
AFTER {operation} ON {TABLE} FOR EACH ROW BEGIN
    INSERT INTO {ACTIVITY} (team_id, version) VALUES ({row}.team_id, 1)
    ON CONFLICT (team_id) DO UPDATE SET version = version + 1;
END;
"""


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            POSTGRES_FUNCTION,
            f"DROP TRIGGER IF EXISTS releases_activity ON {TABLE}",
            f"CREATE TRIGGER releases_activity AFTER INSERT OR UPDATE OR DELETE"
            f" ON {TABLE} FOR EACH ROW EXECUTE FUNCTION releases_count_activity()",
        ]
    if vendor == "sqlite":
        return [
            _sqlite_trigger("INSERT", "NEW"),
            _sqlite_trigger("DELETE", "OLD"),
            _sqlite_trigger("UPDATE", "NEW"),
            # A release moved to another team also counts for the team it left.
            f"""
CREATE TRIGGER IF NOT EXISTS releases_activity_moved
AFTER UPDATE OF team_id ON {TABLE} FOR EACH ROW
WHEN NEW.team_id <> OLD.team_id BEGIN
    INSERT INTO {ACTIVITY} (team_id, version) VALUES (OLD.team_id, 1)
    ON CONFLICT (team_id) DO UPDATE SET version = version + 1;
END;
""",
        ]
    raise NotImplementedError(f"No release activity triggers for {vendor}.")


def uninstall_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS releases_activity ON {TABLE}",
            "DROP FUNCTION IF EXISTS releases_count_activity()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS releases_activity_{name}"
        for name in ("insert", "delete", "update", "moved")
    ]
