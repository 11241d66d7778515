"""The download hot path's lookups: a ``+f`` path to the facts of its
release file, without the ORM and, while the server's serial stands,
without a query.

pip and uv fetch a file and its PEP 658 metadata for every project they
install; the lookup by ORM (query compilation more than the query) was
the larger part of such a request. Every change that adds, removes or
replaces a file bumps the serial (``wire.serial_bump``), and the serial is
read once per request anyway (``wire.request_state``), so a per-process
answer keyed by the serial is never stale. Misses are not cached: the
caller falls back to the selectors, which say 404 or 410.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from .distribution.hashpath import parse_hash_path
from .models import ReleaseFile

CACHE_ENTRIES = 4096


_CACHES: list[SerialCache] = []


class SerialCache:
    """A bounded per-process dict that empties itself when the serial moves."""

    def __init__(self, limit: int = CACHE_ENTRIES):
        _CACHES.append(self)
        self.limit = limit
        self._serial: int | None = None
        self._data: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._data = {}
            self._serial = None

    def get(self, serial: int, key: Hashable) -> Any:
        if serial != self._serial:
            return None
        return self._data.get(key)

    def put(self, serial: int, key: Hashable, value: Any) -> None:
        with self._lock:
            if serial != self._serial:
                self._data = {}
                self._serial = serial
            if len(self._data) >= self.limit:
                self._data.pop(next(iter(self._data)))  # the oldest entry
            self._data[key] = value


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a download response needs of a release file."""

    id: int
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime
    core_metadata_sha256: str
    has_metadata: bool


_files = SerialCache()


def clear_caches() -> None:
    """Forget every cached answer (tests that roll back reuse serials)."""
    for cache in _CACHES:
        cache.clear()


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching what starts with ``prefix`` (ESCAPE '\\')."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def as_datetime(value: Any) -> datetime:
    """A DateTimeField read by raw SQL: a string on SQLite, a datetime elsewhere."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def release_file_facts(index_id: int, hash_path: str, serial: int) -> FileFacts | None:
    """The release file of index ``index_id`` at ``hash_path``, or None when
    there is none (or the path is malformed)."""
    key = (index_id, hash_path)
    facts = _files.get(serial, key)
    if facts is not None:
        return facts
    parsed = parse_hash_path(hash_path)
    if parsed is None:
        return None
    prefix, filename = parsed.prefix, parsed.filename
    table = ReleaseFile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, filename, sha256, size, uploaded_at, core_metadata_sha256, "
            f"core_metadata IS NOT NULL FROM {table} "
            f"WHERE index_id = %s AND filename = %s AND sha256 LIKE %s ESCAPE '\\' LIMIT 1",
            [index_id, filename, like_prefix(prefix)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    facts = FileFacts(
        id=row[0],
        filename=row[1],
        sha256=row[2],
        size=row[3],
        uploaded_at=as_datetime(row[4]),
        core_metadata_sha256=row[5] or "",
        has_metadata=bool(row[6]),
    )
    _files.put(serial, key, facts)
    return facts


# PEP 658 metadata is a few KB; larger ones are read each time
_metadata = SerialCache(limit=1024)
METADATA_CACHED_BYTES = 64 * 1024


def core_metadata(file_id: int, serial: int | None = None) -> bytes | None:
    """The stored PEP 658 metadata of a release file (one plain query), kept
    while ``serial`` stands when it is given (it changes with every change
    of a file, as the file's facts)."""
    if serial is not None:
        data = _metadata.get(serial, file_id)
        if data is not None:
            return data
    data = _read_core_metadata(file_id)
    if serial is not None and data is not None and len(data) <= METADATA_CACHED_BYTES:
        _metadata.put(serial, file_id, data)
    return data


def _read_core_metadata(file_id: int) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT core_metadata FROM {ReleaseFile._meta.db_table} WHERE id = %s", [file_id]
        )
        row = cursor.fetchone()
    return bytes(row[0]) if row is not None and row[0] is not None else None
