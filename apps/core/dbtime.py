"""Reading timestamps PostgreSQL holds but Python cannot: clamp them, never crash.

PostgreSQL's timestamptz spans 4713 BC to 294276 AD and `infinity`; Python's
datetime spans years 1 to 9999. A moment typed with an offset is stored fine
and then fails every read: 0001-01-01T00:00+14:00 is 0000-12-31 10:00 UTC, and
psycopg raises "timestamp too small" for each query that returns the row, so
one saved on-call override took down every release page of its team. Services
refuse such dates when they are typed (apps.core.moments); this loader keeps
the pages up for rows stored before that, by hand, or by anything else: a value
outside [EARLIEST, LATEST] loads as that bound. Both bounds stay two days inside
Python's range, so the value still converts to any time zone and survives a
day's arithmetic.
"""

from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from django.db.backends.signals import connection_created

EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
LATEST = datetime(9999, 12, 29, tzinfo=UTC)


@cache
def _loader(zone: tzinfo | None) -> type:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import DataError

    class ClampingTzLoader(BaseTzLoader):
        """Django's timestamptz loader, clamping what Python cannot hold."""

        timezone = zone  # Django compares it per cursor, as its own loader's

        def load(self, data: Any) -> datetime:
            try:
                value = super().load(data)
            except DataError:
                # "-infinity" and "… BC" are too small; the rest too large.
                raw = bytes(data).strip()
                early = raw.startswith(b"-") or raw.endswith(b"BC")
                value = EARLIEST if early else LATEST
                return value.replace(tzinfo=None) if zone is None else value
            if value.tzinfo is None:
                return value
            return min(max(value, EARLIEST), LATEST)

    return ClampingTzLoader


def _install(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    connection.connection.adapters.register_loader(
        "timestamptz", _loader(connection.timezone)
    )


def install() -> None:
    """Use the clamping loader on every new PostgreSQL connection."""
    connection_created.connect(_install, dispatch_uid="shipshape-clamping-tz")
