"""Light records for hot read paths: selected columns without a model instance,
and the quoted table names that hand-written statements are built from."""

from collections.abc import Sequence
from functools import cache
from typing import TypeVar
from weakref import WeakKeyDictionary

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BigIntegerField, Func, Model, QuerySet

M = TypeVar("M", bound=Model)

# The largest id a bigint column holds: a larger one names no row (and asking
# the database for it would be an error, not an empty answer).
MAX_ID = 2**63 - 1


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


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of `model`, in field order, qualified by `alias`:
    the select list that `instance()` builds the model from."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def instance(model: type[M], row: Sequence, start: int = 0) -> M:
    """The model instance of `row[start:]`, read with `columns(model, ...)`.

    What `Model.objects.raw()` and a queryset's iterator do for one row, minus
    their per-call work (the select list compiled again, the columns matched to
    fields by name, the converters looked up): for the few statements every
    tick runs, written by hand. The database's value converters are applied as
    the ORM applies them.
    """
    database = connections[DEFAULT_DB_ALIAS]
    fields, converters = _shape(model, database)
    values = list(row[start : start + len(fields)])
    for index, functions, expression in converters:
        value = values[index]
        for function in functions:
            value = function(value, expression, database)
        values[index] = value
    return model.from_db(database.alias, fields, values)


def _shape(model: type[Model], database) -> tuple[list[str], list[tuple]]:
    """The model's field names and the converters of its columns, for the
    database in use (kept per connection: a converter may be the backend's)."""
    shapes = _shapes.get(database)
    if shapes is None:
        shapes = _shapes.setdefault(database, {})
    shape = shapes.get(model)
    if shape is None:
        concrete = model._meta.concrete_fields
        converters = []
        for index, field in enumerate(concrete):
            expression = field.get_col(model._meta.db_table)
            functions = database.ops.get_db_converters(
                expression
            ) + expression.get_db_converters(database)
            if functions:
                converters.append((index, functions, expression))
        shape = shapes[model] = ([f.attname for f in concrete], converters)
    return shape


_shapes: WeakKeyDictionary = WeakKeyDictionary()


def save(instance: Model, field_names: Sequence[str]) -> None:
    """UPDATE `field_names` of an instance read from the database, by its pk.

    `instance.save(update_fields=...)` for a model without save() override or
    signal receivers, minus building the statement every time; values are
    prepared for the database as the ORM prepares them, but no field's
    pre_save() runs (an auto_now field written here keeps the value it holds).
    """
    with connection.cursor() as cursor:
        cursor.execute(*update(instance, field_names))


def update(instance: Model, field_names: Sequence[str]) -> tuple[str, list]:
    """The statement save() runs, and its parameters."""
    model = type(instance)
    sql, fields = _update_sql(model, tuple(field_names))
    database = connections[DEFAULT_DB_ALIAS]
    values = [
        f.get_db_prep_save(getattr(instance, f.attname), database) for f in fields
    ]
    return sql, [*values, instance.pk]


@cache
def _update_sql(model: type[Model], names: tuple[str, ...]) -> tuple[str, list]:
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = quote(model._meta.pk.column)
    return f"UPDATE {table(model)} SET {assignments} WHERE {pk} = %s", fields  # noqa: S608 (names only)
