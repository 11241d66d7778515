"""The upstream's full project list: fetched in the background (a thread
without a broker, else a Celery task), merged with the projects cached
here, retried after a failure no sooner than ``LIST_RETRY_DELAY``."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from indexes.distribution.names import normalize_name
from indexes.models import Index

from . import upstream
from .common import LIST_RETRY_DELAY, _is_fresh, _record_contact, log
from .locks import lease_acquire, lease_held, lease_release
from .models import MirrorProject, MirrorProjectList


def mirror_project_names(index: Index) -> tuple[list[str], bool]:
    """Names of the upstream's list (when fetched) plus those cached here.
    A missing or expired list is refreshed in the background. Only while
    the mirror has never had a list does the request wait for that fetch,
    up to the mirror timeout (as devpi), so a small upstream is listed in
    full at once; a slower one answers incomplete."""
    if index.config.get("mirror_no_project_list") or not index.config.get("mirror_url"):
        return _known_names(index), True
    row = _list_row(index)
    if row is None or not _is_fresh(index, row.fetched_at):
        retry_at = row.last_attempt + LIST_RETRY_DELAY if row and row.last_attempt else None
        if retry_at is None or timezone.now() >= retry_at:
            started = timezone.now()
            mirror_project_list_schedule(index)
            if row is None or row.fetched_at is None:
                row = _list_wait(index, started, upstream.timeouts()[1])
    known = set(_known_names(index))
    if row is None or row.fetched_at is None:
        return sorted(known), False
    names = set(row.names.split("\n")) if row.names else set()
    return sorted(names | known), True


def _known_names(index: Index) -> list[str]:
    return sorted(
        MirrorProject.objects.filter(index=index, exists=True).values_list("name", flat=True)
    )


def _list_row(index: Index) -> MirrorProjectList | None:
    return (
        MirrorProjectList.objects.filter(index=index)
        .only("names", "fetched_at", "last_attempt", "last_error")
        .first()
    )


def _list_wait(index: Index, started, timeout: float) -> MirrorProjectList | None:
    """The list row once the fetch started at ``started`` has finished
    (fetched or failed), or as it is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        row = _list_row(index)
        if row is not None and row.fetched_at is not None:
            return row
        attempted = row is not None and row.last_attempt is not None and row.last_attempt >= started
        if attempted and not lease_held(f"mirror-list:{index.id}"):
            return row  # that attempt is over, and failed
        if time.monotonic() >= deadline:
            return row
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def mirror_project_list_schedule(index: Index) -> None:
    if lease_held(f"mirror-list:{index.id}"):
        return
    from . import tasks

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # no broker: a thread of this process, so no request waits for it
        thread = threading.Thread(target=_list_refresh_thread, args=(index.id,), daemon=True)
        thread.start()
    else:
        tasks.mirror_refresh_project_list.delay(index.id)


def _list_refresh_thread(index_id: int) -> None:
    try:
        mirror_project_list_refresh(index_id)
    except Exception:  # logged; a thread has nobody to report to
        log.exception("refreshing the project list of index %s failed", index_id)
    finally:
        close_old_connections()
        from django.db import connection

        connection.close()


def mirror_project_list_refresh(index_id: int) -> int | None:
    """Fetch and store the upstream's project list; returns its size, or
    None when another process is already at it."""
    index = Index.objects.select_related("owner").get(pk=index_id)
    if not index.config.get("mirror_url"):
        return None
    key = f"mirror-list:{index.id}"
    token = lease_acquire(key, 1800)
    if token is None:
        return None
    try:
        row, _ = MirrorProjectList.objects.get_or_create(index=index)
        MirrorProjectList.objects.filter(pk=row.pk).update(last_attempt=timezone.now())
        try:
            names, etag = upstream.fetch_project_list(
                index.config["mirror_url"], etag=row.etag if row.fetched_at else ""
            )
        except upstream.UpstreamError as error:
            _record_contact(index, error.message)
            MirrorProjectList.objects.filter(pk=row.pk).update(last_error=error.message)
            raise
        _record_contact(index)
        now = timezone.now()
        if names is None:
            MirrorProjectList.objects.filter(pk=row.pk).update(fetched_at=now, last_error="")
            return row.count
        unique = sorted({normalize_name(n) for n in names})
        MirrorProjectList.objects.update_or_create(
            index=index,
            defaults={
                "names": "\n".join(unique),
                "count": len(unique),
                "fetched_at": now,
                "etag": etag,
                "last_error": "",
            },
        )
        return len(unique)
    finally:
        lease_release(key, token)
