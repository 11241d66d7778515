"""Model instances from plain statements, for the lookups every request
repeats after a change of the server's serial (an index with its owner, a
mirror's cached page, a stored file): the same instances the ORM makes
(``Model.from_db`` with each field's database converters) without a
queryset's compilation or a ``RawQuerySet``'s per-call set-up, which cost
several times the query. The column list and converters of a model are
made once per database connection (a thread's own)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

M = TypeVar("M", bound=Model)


@lru_cache(maxsize=256)
def _shape(model: type[Model], alias: str, connection: Any) -> tuple[str, tuple, tuple]:
    """(column list, attnames, (converters, column) per field) of ``model``
    read under table alias ``alias``."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    converters = []
    for field in fields:
        col = field.get_col(alias)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        converters.append((tuple(found), col))
    columns = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
    return columns, tuple(f.attname for f in fields), tuple(converters)


def db_connection() -> Any:
    """This thread's default connection (not the proxy)."""
    return connections[DEFAULT_DB_ALIAS]


def columns(model: type[Model], alias: str, connection: Any) -> str:
    """The select list for ``model``'s concrete fields, in their order."""
    return _shape(model, alias, connection)[0]


def instance(model: type[M], alias: str, values: Any, connection: Any) -> M:
    """The ``model`` instance for ``values`` (a row's slice in the order of
    ``columns``), converted as the ORM converts what it reads."""
    _columns, attnames, converters = _shape(model, alias, connection)
    converted = []
    for value, (found, col) in zip(values, converters, strict=True):
        for convert in found:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


def first(model: type[M], where: str, params: list) -> M | None:
    """The ``model`` row matching ``where`` with the lowest id, or None."""
    connection = db_connection()
    sql = (
        f"SELECT {columns(model, 't', connection)} FROM {model._meta.db_table} t "
        f"WHERE {where} ORDER BY t.id ASC LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else instance(model, "t", row, connection)
