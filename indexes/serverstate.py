"""The server's identity and its change counters, as plain database work:
the uuid and serial devpi-client reads from every response (``server_state``),
the serial counted once per change (``serial_bump``) and the per-index
generation that page caches key on (``generation_bump``). Services call these
inside their writing transactions; ``indexes.wire`` puts them in headers."""

from __future__ import annotations

import uuid as uuid_module

from django.db import connection

API_VERSION = "2"
# devpi-client reads the devpi-server version from the headers, and devpi-import
# from an export: we speak that version's protocol and format
DEVPI_SERVER_COMPAT_VERSION = "6.20.3"

_STATE_SQL: str | None = None  # server_state()'s statement, made on first use


def server_state() -> tuple[str, int]:
    """(uuid, serial) of this server; the row is created on first use.

    On every request, so one plain SQL statement rather than an ORM query
    (whose compilation costs more than the query itself), made once."""
    global _STATE_SQL
    if _STATE_SQL is None:
        from .models import ServerState

        _STATE_SQL = f"SELECT uuid, serial FROM {ServerState._meta.db_table} WHERE id = 1"
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL)
        row = cursor.fetchone()
    if row is None:
        from .models import ServerState

        state, _ = ServerState.objects.get_or_create(
            pk=1, defaults={"uuid": uuid_module.uuid4().hex}
        )
        return state.uuid, state.serial
    return row[0], row[1]


def serial_bump(*changed_index_ids: int) -> None:
    """Count one change (devpi's serial), and bump the generation of the
    indexes whose pages it changes. Call inside the writing transaction.
    One statement (the row made with serial 1 when missing): every mirror
    page stored counts one."""
    from .models import ServerState

    if changed_index_ids:
        generation_bump(*changed_index_ids)
    table = connection.ops.quote_name(ServerState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, uuid, serial) VALUES (1, %s, 1) "
            f"ON CONFLICT (id) DO UPDATE SET serial = {table}.serial + 1",
            [uuid_module.uuid4().hex],
        )


def generation_bump(*index_ids: int) -> None:
    """Note a change of what these indexes show (uploads, removals, pushes,
    yanks, config changes, mirror refreshes). Page caches key on it."""
    from .models import Index

    if not index_ids:
        return
    table = connection.ops.quote_name(Index._meta.db_table)
    marks = ", ".join(["%s"] * len(index_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET generation = generation + 1 WHERE id IN ({marks})",
            list(index_ids),
        )
