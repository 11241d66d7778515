"""Readiness checks: the database, the cache and the Celery broker (Redis),
the blob storage, and each mirror's last contact with its upstream.

Each check returns ``{"ok": bool, ...}`` and is bounded in time (Redis: 1 s
connect and read timeouts). Mirrors are reported but never make the server
unready: a mirror whose upstream fails still serves its cache.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

REDIS_TIMEOUT = 1.0
PROBE_NAME = "health/probe"


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a check reports failures, it does not raise
        result = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:500]}
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def check_database() -> dict:
    """A read of the server state row: the database answers and is migrated."""
    from indexes.models import ServerState

    ServerState.objects.filter(pk=1).exists()
    return {"ok": True, "vendor": connection.vendor}


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT, retry=None
    )
    try:
        client.ping()
    finally:
        client.close()


def check_redis() -> dict:
    """The shared cache and the broker, when they are Redis; without either,
    the embedded defaults (per-process cache, tasks in-process) need nothing."""
    urls = {}
    if settings.DEVPI_REDIS_URL:
        urls["cache"] = settings.DEVPI_REDIS_URL
    broker = settings.CELERY_BROKER_URL
    if broker and broker.startswith(("redis://", "rediss://", "unix://")):
        urls["broker"] = broker
    if not urls:
        return {"ok": True, "mode": "embedded"}
    for url in set(urls.values()):
        _redis_ping(url)
    return {"ok": True, "mode": "redis", "uses": sorted(urls)}


def check_storage() -> dict:
    from django.core.files.storage import storages

    storage = storages["blobs"]
    storage.exists(PROBE_NAME)  # a HEAD on S3, a stat on a file system
    return {"ok": True, "backend": f"{storage.__class__.__module__}.{storage.__class__.__name__}"}


def mirrors() -> dict:
    from indexes.models import Index
    from mirror.models import MirrorState

    states = {s.index_id: s for s in MirrorState.objects.all()}
    report = {}
    for index in Index.objects.filter(type=Index.MIRROR).select_related("owner"):
        state = states.get(index.id)
        last_contact = state.last_contact if state else None
        last_error_at = state.last_error_at if state and state.last_error else None
        failing = last_error_at is not None and (
            last_contact is None or last_error_at > last_contact
        )
        report[index.fullname] = {
            "last_contact": last_contact.isoformat() if last_contact else None,
            "last_error": state.last_error if state and failing else None,
            "upstream_failing": failing,
        }
    return report


def readiness() -> tuple[bool, dict]:
    checks = {
        "database": _timed(check_database),
        "redis": _timed(check_redis),
        "storage": _timed(check_storage),
    }
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "unready", "checks": checks}
    if checks["database"]["ok"]:
        body["mirrors"] = _timed(lambda: {"ok": True, "indexes": mirrors()})
    return ready, body
