"""Celery tasks of the mirror. They take ids, re-read state, and are
idempotent: running one twice, or after a crash, does no harm."""

from __future__ import annotations

from celery import shared_task

from indexes.models import Index

from . import refresh, services
from .upstream import UpstreamError


def _mirror(index_id: int) -> Index | None:
    return Index.objects.select_related("owner").filter(pk=index_id, type=Index.MIRROR).first()


@shared_task(autoretry_for=(UpstreamError,), retry_backoff=True, max_retries=3)
def mirror_refresh_project(index_id: int, name: str) -> bool:
    """Refresh one project page from upstream; True when upstream has it."""
    index = _mirror(index_id)
    if index is None:
        return False
    return services.mirror_project_page(index, name, force=True) is not None


@shared_task
def mirror_refresh_expired(index_id: int, name: str, lease_token: str | None = None) -> bool | None:
    """The background refresh of an expired page (``mirror.refresh``): the
    request that found it expired was answered from the cache."""
    return refresh.refresh_run(index_id, name, lease_token)


@shared_task(autoretry_for=(UpstreamError,), retry_backoff=True, max_retries=3)
def mirror_refresh_project_list(index_id: int) -> int | None:
    if _mirror(index_id) is None:
        return None
    return services.mirror_project_list_refresh(index_id)


@shared_task
def mirror_refresh_all_project_lists() -> list[int]:
    """For the opt-in beat schedule (DEVPI_MIRROR_LIST_REFRESH_SECONDS)."""
    ids = list(Index.objects.filter(type=Index.MIRROR).values_list("id", flat=True))
    for index_id in ids:
        mirror_refresh_project_list.delay(index_id)
    return ids


@shared_task
def mirror_prefetch(index_id: int, requirements: list[str]) -> dict[str, list[str]]:
    index = _mirror(index_id)
    if index is None:
        return {}
    return services.mirror_prefetch(index, requirements)


@shared_task
def mirror_leases_cleanup() -> int:
    """For beat: delete lease rows whose holders died (expired long ago)."""
    from .locks import lease_cleanup

    return lease_cleanup()
