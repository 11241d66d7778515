"""What the mirror's pages, files and project list share: lease and retry
settings, freshness, the record of upstream contact, the cached page row."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from indexes.errors import BadGateway, GatewayTimeout
from indexes.filelookup import like_prefix
from indexes.models import Index
from indexes.rawrows import first, upsert
from ops import metrics

from . import upstream
from .models import MirrorFile, MirrorProject, MirrorState

log = logging.getLogger(__name__)
LEASE_TTL = 120.0
LIST_RETRY_DELAY = timedelta(seconds=60)  # after a failed project list fetch
CHUNK = 64 * 1024
RETRY_AFTER = 10  # seconds, with a 503/504 after a bounded lease wait


def _lease_wait_seconds() -> float:
    """How long a request waits for another worker's fetch of the same page
    or file (DEVPI_MIRROR_TIMEOUT) before answering 504/503 with
    Retry-After: it never holds a thread for someone else's download."""
    return upstream.page_seconds()


class MirrorIntegrityError(Exception):
    """Upstream bytes did not match the sha256 the upstream page announced."""


def _expiry(index: Index) -> int:
    return int(index.config.get("mirror_cache_expiry", 1800))


def _is_fresh(index: Index, fetched_at) -> bool:
    return fetched_at is not None and (timezone.now() - fetched_at).total_seconds() < _expiry(index)


def _upstream_error(error: upstream.UpstreamError, *, json: bool = False):
    if error.status == 504:
        return GatewayTimeout(error.message, json=json)
    return BadGateway(error.message, json=json)


def _record_contact(index: Index, error: str = "") -> None:
    now = timezone.now()
    defaults = {"last_error": error, "last_error_at": now} if error else {"last_contact": now}
    if error:
        metrics.upstream_error()
    updated = MirrorState.objects.filter(index=index).update(**defaults)
    if not updated:
        try:
            with transaction.atomic():
                MirrorState.objects.create(index=index, **defaults)
        except IntegrityError:
            MirrorState.objects.filter(index=index).update(**defaults)


# The two lookups every mirror request makes, several times on a cold fetch:
# a raw statement (the rows as the ORM would give them, converters applied)
# instead of a queryset, whose compilation cost five times the query.


def _cached(index: Index, name: str) -> MirrorProject | None:
    return first(MirrorProject, "t.index_id = %s AND t.name = %s", [index.id, name])


def _stored(index: Index, filename: str, sha_prefix: str) -> MirrorFile | None:
    """The stored file ``filename`` whose sha256 starts with ``sha_prefix``
    (LIKE: case-insensitive on SQLite, as the ORM's ``startswith`` there)."""
    return first(
        MirrorFile,
        "t.index_id = %s AND t.filename = %s AND t.sha256 LIKE %s ESCAPE '\\'",
        [index.id, filename, like_prefix(sha_prefix)],
    )


def _stored_exact(index: Index, filename: str, sha256: str) -> MirrorFile | None:
    """The stored file ``filename`` with exactly this sha256 (a mirrored
    ``.metadata``, looked up by the hash its page announced)."""
    return first(
        MirrorFile,
        "t.index_id = %s AND t.filename = %s AND t.sha256 = %s",
        [index.id, filename, sha256],
    )


def _insert_file(
    index: Index, project: str, filename: str, sha256: str, size: int, url: str
) -> MirrorFile | None:
    """The row of a stored file or metadata, written unless one with the
    same (index, filename, sha256) stands: then None (get_or_create's
    insert, one statement)."""
    return upsert(
        MirrorFile,
        {
            "index_id": index.id,
            "project": project,
            "filename": filename,
            "sha256": sha256,
            "size": size,
            "url": url,
        },
        unique=("index_id", "filename", "sha256"),
    )
