"""Shared set-up of the audit benchmarks: a throwaway PostgreSQL database, Django."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def configure(url: str) -> None:
    """Point Django at the bench database, with DEBUG off (no query log)."""
    os.environ.update(
        DATABASE_URL=url,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="bench-only-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="plain",
    )
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def recreate(url: str) -> None:
    """Drop and create the bench database (the audit triggers refuse anything less)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
