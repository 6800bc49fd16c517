"""Light records for hot read paths: selected columns without a model instance,
and the quoted table names that hand-written statements are built from."""

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Func, Model, QuerySet


class Row:
    """The base of a record of selected columns, without a model instance: a
    slotted dataclass (`@dataclass(slots=True, eq=False)`) whose fields are the
    columns, in order, and whose generated __init__ builds one from a row.

    Building a model instance costs several times reading its row; a page that
    judges thousands of rows (a dashboard's probe results) reads them as these.
    """

    __slots__ = ()

    @property
    def pk(self) -> int:
        return self.id


def fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of a `values_list()` queryset as the database driver gives them.

    Skips Django's per-value converters, which cost a dashboard more than the
    rows themselves (an integer annotation alone converts every row). Only for
    columns whose driver values are already the Python values (integers, text,
    `EpochSeconds`): SQLite gives booleans as 0/1 and times as text.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. `pk__in=[]`: Django would read nothing either
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class EpochSeconds(Func):
    """A timestamp column read as whole seconds since 1970 (an int).

    Converting thousands of time-zone-aware datetimes took a dashboard longer
    than reading the rows; an int costs next to nothing.
    """

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST((julianday(%(expressions)s) - 2440587.5) * 86400 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def table(model: type[Model]) -> str:
    """The model's table name, quoted for the database in use."""
    return connection.ops.quote_name(model._meta.db_table)


def digest_sql(rows: str, columns: list[str]) -> str:
    """A scalar subquery: a digest of `columns` of `rows` (`<table> x WHERE ...`,
    aliased x, with an `id`), in id order; NULL when there are none.

    For stamps that must change whenever what rows say changes, edits through
    any code path included, not only when a timestamp is bumped.
    """
    text = " || '|' || ".join(f"COALESCE(CAST(x.{c} AS TEXT), '')" for c in columns)
    if connection.vendor == "postgresql":
        # Names and fixed expressions only; values are bound by the caller.
        return f"(SELECT md5(string_agg({text}, ',' ORDER BY x.id)) FROM {rows})"  # noqa: S608
    return (
        f"(SELECT group_concat(v, ',') FROM"  # noqa: S608 (SQLite keeps this order)
        f" (SELECT {text} AS v FROM {rows} ORDER BY x.id))"
    )
