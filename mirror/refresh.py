"""Stale-while-revalidate for mirror project pages.

A page past ``mirror_cache_expiry`` is answered at once from the cache (the
simple page says ``X-Devpi-Stale``) while one background refresh per project
runs: a Celery task on a worker when a broker is configured, else a thread of
the server process. "One per project" holds across processes and servers: a
lease (``mirror.locks``) named after the project is taken before the refresh
is started and released by whoever runs it; a worker that dies lets the
lease expire, and the next request starts a new refresh.

After a failed refresh the lease is kept for ``RETRY_SECONDS``, so a failing
upstream is asked at most that often, whatever the traffic.

Only a project never seen before waits for the upstream (bounded by
``DEVPI_MIRROR_TIMEOUT``), and so does a page that was explicitly
invalidated (devpi's refresh button, ``mirror_project_invalidate``).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from indexes.models import Index
from ops import metrics

from .locks import lease_acquire, lease_release, lease_renew
from .models import MirrorProject

log = logging.getLogger(__name__)
REFRESH_TTL = 300.0  # a refresh not finished by then is given up (worker died)
RETRY_SECONDS = 30.0  # after a failed refresh
INVALIDATED_BEFORE = timedelta(days=3000)  # mirror_project_invalidate dates pages 10 years back


def refresh_key(index_id: int, name: str) -> str:
    return f"mirror-refresh:{index_id}:{name}"


def serve_stale(index: Index, cached: MirrorProject) -> bool:
    """For an expired page: start its background refresh (unless one is
    pending) and say whether the cached page may be served meanwhile."""
    if cached.fetched_at < timezone.now() - INVALIDATED_BEFORE:
        return False  # asked for explicitly: the next request fetches
    refresh_schedule(index.id, cached.name)
    metrics.mirror_page("stale")
    return True


def refresh_schedule(index_id: int, name: str) -> bool:
    """Start one refresh of ``name``; False when one is pending already."""
    key = refresh_key(index_id, name)
    token = lease_acquire(key, REFRESH_TTL)
    if token is None:
        return False
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from . import tasks

        try:
            tasks.mirror_refresh_expired.delay(index_id, name, token)
            metrics.mirror_refresh("task")
            return True
        except Exception:  # the broker is down: refresh here rather than never
            log.warning(
                "mirror refresh of %s: broker unavailable, refreshing in a thread",
                name,
                exc_info=True,
            )
    _start_thread(index_id, name, token)
    metrics.mirror_refresh("thread")
    return True


def _start_thread(index_id: int, name: str, token: str) -> None:
    threading.Thread(
        target=_thread, args=(index_id, name, token), daemon=True, name=f"mirror-refresh-{name}"
    ).start()


def _thread(index_id: int, name: str, token: str) -> None:
    try:
        refresh_run(index_id, name, token)
    except Exception:  # logged; a thread has nobody to report to
        log.exception("background refresh of %s on index %s failed", name, index_id)
    finally:
        close_old_connections()
        connection.close()


def refresh_run(index_id: int, name: str, token: str | None = None) -> bool | None:
    """Refresh one page from upstream (a worker or a thread runs this), then
    release the project's refresh lease, or keep it for ``RETRY_SECONDS``
    when the upstream failed. True: upstream has the project; False: it
    does not; None: the mirror is gone or the upstream failed."""
    from .pages import mirror_project_page

    key = refresh_key(index_id, name)
    succeeded = False
    try:
        index = Index.objects.select_related("owner").filter(pk=index_id, type=Index.MIRROR).first()
        if index is None:
            succeeded = True
            return None
        started = timezone.now()
        page = mirror_project_page(index, name, force=True)
        row = MirrorProject.objects.filter(index=index, name=name).only("fetched_at").first()
        succeeded = row is not None and row.fetched_at >= started
        return (page is not None) if succeeded else None
    finally:
        if token is not None:
            if succeeded:
                lease_release(key, token)
            else:
                lease_renew(key, token, RETRY_SECONDS)


def refresh_request(index: Index, name: str) -> str:
    """``manage.py devpi refresh``: renew a page now, whether or not it has
    expired. With a broker it is queued for a worker ("queued"); without,
    it runs here ("refreshed", "not found upstream", "failed"). "pending"
    when a refresh of the project is already under way."""
    from indexes.distribution.names import normalize_name

    name = normalize_name(name)
    token = lease_acquire(refresh_key(index.id, name), REFRESH_TTL)
    if token is None:
        return "pending"
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from . import tasks

        tasks.mirror_refresh_expired.delay(index.id, name, token)
        metrics.mirror_refresh("task")
        return "queued"
    result = refresh_run(index.id, name, token)
    return {True: "refreshed", False: "not found upstream", None: "failed"}[result]
