"""An index by its name: the lookup that resolution, selectors and services
all start from (below both ``resolution`` and ``selectors``, so neither
imports the other to find an index).

Asked for by every request's first look at an index after the server's
serial moved (``resolution.index_and_order``), which on a busy mirror is most
requests: so one plain statement joining the owner, whose rows are made into
the same model instances the ORM would make (``from_db``, with the fields'
database converters), rather than a queryset whose compilation cost several
times the query.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections

from .errors import NotFound
from .models import Index


@lru_cache(maxsize=64)
def _shape(connection: Any) -> tuple[str, tuple, tuple]:
    """The statement's head and, per model, (model, attnames, converters),
    for one connection (a thread's: the converters are its own)."""
    user_model = get_user_model()
    parts = []
    columns = []
    for model, alias in ((Index, "ix"), (user_model, "u")):
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            converters.append((tuple(found), col))
        columns += [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
        parts.append((model, tuple(f.attname for f in fields), tuple(converters)))
    head = (
        f"SELECT {', '.join(columns)} FROM {Index._meta.db_table} ix "
        f"JOIN {user_model._meta.db_table} u ON u.id = ix.owner_id WHERE "
    )
    return head, parts[0], parts[1]


def _converted(values: tuple, converters: tuple, connection: Any) -> list[Any]:
    out = []
    for value, (found, col) in zip(values, converters, strict=True):
        for convert in found:
            value = convert(value, col, connection)
        out.append(value)
    return out


def indexes_named(pairs: list[tuple[str, str]]) -> list[Index]:
    """The indexes of these ``(username, index name)`` pairs that exist,
    each with its owner loaded (as ``select_related("owner")`` would)."""
    if not pairs:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    head, (index_model, index_names, index_conv), shape_user = _shape(connection)
    user_model, user_names, user_conv = shape_user
    where = " OR ".join(["(u.username = %s AND ix.name = %s)"] * len(pairs))
    params = [value for pair in pairs for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(head + where, params)
        rows = cursor.fetchall()
    found = []
    split = len(index_names)
    db = connection.alias
    for row in rows:
        index = index_model.from_db(
            db, index_names, _converted(row[:split], index_conv, connection)
        )
        owner = user_model.from_db(db, user_names, _converted(row[split:], user_conv, connection))
        index._state.fields_cache["owner"] = owner
        found.append(index)
    return found


def index_get(username: str, name: str) -> Index:
    found = indexes_named([(username, name)])
    if not found:
        raise NotFound(f"The stage {username}/{name} could not be found.")
    return found[0]


def index_get_by_fullname(fullname: str) -> Index:
    user, _, name = fullname.strip("/").partition("/")
    return index_get(user, name)
