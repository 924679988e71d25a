"""Writes of many rows in one statement a table, and several statements in one round trip.

For the paths that write many rows while holding a lock (a bid batch) or often (the audit
chain's links): Django's `bulk_update` compiles a CASE expression per field and row, which
costs far more CPU than the statement it sends, and each ORM write is its own round trip.

* `insert` compiles with Django's own insert compiler, as `bulk_create` would (defaults,
  `auto_now_add`, JSON adaptation), without RETURNING;
* `update` sets the named fields of every object from their in-memory values: on PostgreSQL
  one `UPDATE ... FROM (VALUES ...)`, elsewhere one statement a row;
* `execute` sends the statements in one `execute` on PostgreSQL (one round trip); SQLite (the
  embedded mode) runs one statement an `execute`, in process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model
from django.db.models.sql import InsertQuery

Statement = tuple[str, list[Any]]


def fields(model: type[Model], names: Iterable[str] | None = None) -> list[Field[Any, Any]]:
    """The model's concrete fields, or those named (by name or attribute name), in model order."""
    concrete = list(model._meta.concrete_fields)
    if names is None:
        return concrete
    wanted = set(names)
    return [f for f in concrete if f.attname in wanted or f.name in wanted]


def insert(model: type[Model], objects: Sequence[Model]) -> list[Statement]:
    """One INSERT of every object, compiled as `bulk_create` would (without RETURNING)."""
    if not objects:
        return []
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = connection.ops.bulk_batch_size(columns, objects) or len(objects)
    statements: list[Statement] = []
    for start in range(0, len(objects), size):
        query = InsertQuery(model)
        query.insert_values(columns, list(objects[start : start + size]))
        compiled = query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
        statements += [(sql, list(params)) for sql, params in compiled]
    for obj in objects:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
    return statements


def _prepared(field: Field[Any, Any], obj: Model) -> Any:
    return field.get_db_prep_save(getattr(obj, field.attname), connection)


def update(model: type[Model], objects: Sequence[Model], names: Sequence[str]) -> list[Statement]:
    """One UPDATE setting `names` on every object (found by primary key) from its values."""
    if not objects:
        return []
    assigned = fields(model, names)
    pk = model._meta.pk
    assert pk is not None
    table = model._meta.db_table
    if len(objects) == 1 or connection.vendor != "postgresql":  # one statement a row
        assignments = ", ".join(f'"{f.column}" = %s' for f in assigned)
        return [
            (
                f'UPDATE "{table}" SET {assignments} WHERE "{pk.column}" = %s',
                [*(_prepared(f, obj) for f in assigned), obj.pk],
            )
            for obj in objects
        ]
    casts = [pk.db_type(connection), *(f.db_type(connection) for f in assigned)]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    columns = ", ".join(f'"{f.column}"' for f in [pk, *assigned])
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"' for f in assigned)
    params: list[Any] = []
    for obj in objects:
        params.append(obj.pk)
        params += [_prepared(f, obj) for f in assigned]
    sql = (
        f'UPDATE "{table}" AS t SET {assignments} '
        f"FROM (VALUES {', '.join([row] * len(objects))}) AS v({columns}) "
        f'WHERE t."{pk.column}" = v."{pk.column}"'
    )
    return [(sql, params)]


def execute(statements: Sequence[Statement]) -> None:
    """Send the statements in one round trip (one `execute`, several statements).

    SQLite (the embedded mode) runs one statement an `execute`, in process: no round trip.
    """
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for text, values in statements:
                cursor.execute(text, values)
            return
        sql = ";\n".join(text for text, _params in statements)
        cursor.execute(sql, [value for _text, values in statements for value in values])
