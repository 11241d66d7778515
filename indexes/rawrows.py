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
from django.utils import timezone

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
    found = rows(model, where, params, limit=1)
    return found[0] if found else None


def rows(model: type[M], where: str, params: list, *, limit: int | None = None) -> list[M]:
    """The ``model`` rows matching ``where`` (the table's alias is ``t``), by
    id, at most ``limit`` of them."""
    connection = db_connection()
    sql = (
        f"SELECT {columns(model, 't', connection)} FROM {model._meta.db_table} t "
        f"WHERE {where} ORDER BY t.id ASC"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [instance(model, "t", row, connection) for row in found]


# -- writes ------------------------------------------------------------------
# ``get_or_create`` and ``update_or_create`` as one statement each, the same
# on SQLite and PostgreSQL: INSERT ... ON CONFLICT on a unique constraint.


@lru_cache(maxsize=64)
def _upsert_sql(
    model: type[Model], unique: tuple[str, ...], update: tuple[str, ...], connection: Any
) -> tuple[str, tuple, tuple]:
    """(statement, the fields it writes, the fields it reads back)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    written = tuple(f for f in model._meta.concrete_fields if f is not pk)
    by_attname = {f.attname: f for f in written}
    # an update also sets the ``auto_now`` fields, as ``save()`` does
    updated = [by_attname[a] for a in update]
    if update:
        updated += [f for f in written if getattr(f, "auto_now", False) and f.attname not in update]
    # read back: the id, and what a conflict keeps of the row that stood
    kept = {*unique, *(f.attname for f in updated)} if update else set(by_attname)
    returned = (pk, *(f for f in written if f.attname not in kept))
    target = ", ".join(quote(by_attname[a].column) for a in unique)
    if updated:
        sets = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in updated)
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in written)}) "
        f"VALUES ({', '.join(['%s'] * len(written))}) ON CONFLICT ({target}) {action} "
        f"RETURNING {', '.join(quote(f.column) for f in returned)}"
    )
    return sql, written, returned


def upsert(
    model: type[M],
    values: dict[str, Any],
    *,
    unique: tuple[str, ...],
    update: tuple[str, ...] = (),
) -> M | None:
    """Insert a ``model`` row (``values`` by attname, e.g. ``index_id``; the
    fields left out filled as ``create()`` fills them: the current time for
    ``auto_now``/``auto_now_add``, else the field's default; each value made
    ready for the database as the ORM makes it, JSON encoded alike). When a
    row with the same ``unique`` fields stands, set its ``update`` fields to
    these values (``update_or_create``), or leave it alone without any
    (``get_or_create``: then None, for the caller to read the row that
    stood). The instance as the ORM would hold it after the write: the
    given values, the rest read back from the row."""
    connection = db_connection()
    sql, written, returned = _upsert_sql(model, unique, tuple(update), connection)
    now = None
    row = {}
    for field in written:
        if field.attname in values:
            value = values[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = now or timezone.now()
            value = now
        else:
            value = field.get_default()
        row[field.attname] = value
    params = [field.get_db_prep_save(row[field.attname], connection) for field in written]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    _columns, attnames, converters = _shape(model, "t", connection)
    read = dict(zip((f.attname for f in returned), found, strict=True))
    ordered = []
    for attname, (convert_all, col) in zip(attnames, converters, strict=True):
        if attname not in read:
            ordered.append(row[attname])
            continue
        value = read[attname]
        for convert in convert_all:
            value = convert(value, col, connection)
        ordered.append(value)
    return model.from_db(connection.alias, attnames, ordered)
