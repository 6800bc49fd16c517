"""A fresh SQLite database, as `make run` makes one, keeps the triggers that
stamp every release write with a new `activity` number (apps/releases/activity.py).

Without them the dashboard's and the release list's cache stamps miss writes, and
a browser revalidating the dashboard after a tick is told 304, with the old
readiness. SQLite rebuilds a table to change its columns, which drops its
triggers: ReleasesConfig's post-migrate hook puts them back.
These run `manage.py migrate` in a subprocess against a file in tmp_path, on any
machine (SQLite ships with Python), CI included.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIGGERS = {"releases_activity_insert", "releases_activity_update"}


def _migrate(database: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=120,
    )


def _triggers(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
    return {name for (name,) in rows} & TRIGGERS


def test_a_fresh_sqlite_database_stamps_release_writes_and_keeps_doing_so(tmp_path):
    database = tmp_path / "shipshape.sqlite3"
    _migrate(database)
    assert _triggers(database) == TRIGGERS

    # As a later migration's table rebuild would leave it: the next migrate,
    # even with nothing to apply, puts the trigger back.
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER releases_activity_update")
    _migrate(database)

    assert _triggers(database) == TRIGGERS
