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

from django.contrib.auth import get_user_model

from . import rawrows
from .errors import NotFound
from .models import Index


def indexes_named(pairs: list[tuple[str, str]]) -> list[Index]:
    """The indexes of these ``(username, index name)`` pairs that exist,
    each with its owner loaded (as ``select_related("owner")`` would)."""
    if not pairs:
        return []
    connection = rawrows.db_connection()
    user_model = get_user_model()
    where = " OR ".join(["(u.username = %s AND ix.name = %s)"] * len(pairs))
    sql = (
        f"SELECT {rawrows.columns(Index, 'ix', connection)}, "
        f"{rawrows.columns(user_model, 'u', connection)} "
        f"FROM {Index._meta.db_table} ix "
        f"JOIN {user_model._meta.db_table} u ON u.id = ix.owner_id WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in pairs for value in pair])
        rows = cursor.fetchall()
    split = len(Index._meta.concrete_fields)
    found = []
    for row in rows:
        index = rawrows.instance(Index, "ix", row[:split], connection)
        index._state.fields_cache["owner"] = rawrows.instance(
            user_model, "u", row[split:], connection
        )
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
