"""Mirrored project pages: fetched on demand, refreshed after
``mirror_cache_expiry`` (stale ones served while ``mirror.refresh`` renews
them), one fetch per project at a time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from indexes.distribution.hashpath import file_path
from indexes.distribution.names import normalize_name
from indexes.errors import GatewayTimeout
from indexes.models import Index
from indexes.rawrows import upsert
from indexes.serverstate import serial_bump
from indexes.simple.data import KindPage, SimpleFile
from ops import metrics

from . import refresh, upstream
from .common import (
    LEASE_TTL,
    RETRY_AFTER,
    _cached,
    _is_fresh,
    _lease_wait_seconds,
    _record_contact,
    _upstream_error,
    log,
)
from .locks import lease_acquire, lease_release, lease_wait
from .models import MirrorProject


def external_dir(url: str) -> str:
    """devpi's directory of a file whose upstream link has no hash: its URL's
    scheme, host, port and path (without the file name) in one segment,
    ``http://127.0.0.1:8080/pkg/x-1.0.zip`` -> ``http_127.0.0.1_8080_pkg``."""
    parts = urlsplit(url)
    segments = [parts.scheme, parts.netloc, *parts.path.split("/")[:-1]]
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", "_".join(s for s in segments if s))


def _file_path(index: Index, link: dict) -> str:
    """Where the mirror serves a file: ``+f/<h[:3]>/<h[3:16]>/<name>`` by the
    upstream's sha256, ``+e/<external_dir>/<name>`` without one (as devpi)."""
    sha256 = link["sha256"]
    if index.config.get("mirror_use_external_urls"):
        return link["url"]
    if not sha256:
        return f"{index.fullname}/+e/{external_dir(link['url'])}/{link['filename']}"
    return file_path(index.fullname, sha256, link["filename"])


def _kind_page(index: Index, project: MirrorProject, stale: bool = False) -> KindPage:
    files = [
        SimpleFile(
            filename=link["filename"],
            path=_file_path(index, link),
            sha256=link["sha256"],
            size=link.get("size"),
            upload_time=link.get("upload_time"),
            requires_python=link.get("requires_python", ""),
            yanked=link.get("yanked", False),
            yanked_reason=link.get("yanked_reason", ""),
            core_metadata_sha256=link.get("core_metadata_sha256", "") if link["sha256"] else "",
            version=link.get("version", ""),
        )
        for link in project.links
    ]
    return KindPage(name=project.name, files=files, versions=list(project.versions), stale=stale)


def _as_page(index: Index, project: MirrorProject | None, stale: bool) -> KindPage | None:
    if project is None or not project.exists:
        return None
    return _kind_page(index, project, stale=stale)


def mirror_project_page(index: Index, name: str, *, force: bool = False) -> KindPage | None:
    """The project's page from cache, fetched from upstream when missing.
    An expired page is served stale while ``mirror.refresh`` renews it in
    the background. One fetch per project at a time: others wait for it."""
    name = normalize_name(name)
    if not index.config.get("mirror_url"):
        return None  # a mirror without an upstream (yet) has no projects
    cached = _cached(index, name)
    if cached is not None and not force:
        if _is_fresh(index, cached.fetched_at):
            metrics.mirror_page("hit")
            return _as_page(index, cached, stale=False)
        if refresh.serve_stale(index, cached):
            return _as_page(index, cached, stale=True)
    key = f"mirror-page:{index.id}:{name}"
    token = lease_acquire(key, LEASE_TTL)
    if token is None:
        finished = lease_wait(key, timeout=_lease_wait_seconds())
        cached = _cached(index, name)
        if cached is not None and _is_fresh(index, cached.fetched_at):
            return _as_page(index, cached, stale=False)
        token = lease_acquire(key, LEASE_TTL) if finished else None
        if token is None:
            if cached is not None:
                return _as_page(index, cached, stale=True)
            url = upstream.project_url(index.config["mirror_url"], name)
            raise GatewayTimeout(f"error timeout waiting for {url}", retry_after=RETRY_AFTER)
    try:
        cached = _cached(index, name)
        if cached is not None and not force and _is_fresh(index, cached.fetched_at):
            return _as_page(index, cached, stale=False)
        if not force:
            metrics.mirror_page("miss")
        return _refresh(index, name, cached)
    finally:
        lease_release(key, token)


def _refresh(index: Index, name: str, cached: MirrorProject | None) -> KindPage | None:
    config = index.config
    try:
        page = upstream.fetch_project(
            config["mirror_url"],
            name,
            etag=cached.etag if cached is not None and cached.exists else "",
            last_modified=cached.last_modified if cached is not None and cached.exists else "",
            ignore_serial=bool(config.get("mirror_ignore_serial_header")),
        )
    except upstream.UpstreamError as error:
        return _fetch_failed(index, cached, error)
    _record_contact(index)
    now = timezone.now()
    if page.status == 304 and cached is not None:
        MirrorProject.objects.filter(pk=cached.pk).update(fetched_at=now, last_error="")
        cached.fetched_at = now
        return _as_page(index, cached, stale=False)
    if page.status == 404 and cached is not None and cached.exists:
        # as devpi: a project that vanished upstream keeps its cached links
        # (resilient against upstream mishaps); they are served as stale
        message = f"not found upstream: {upstream.project_url(config['mirror_url'], name)}"
        MirrorProject.objects.filter(pk=cached.pk).update(
            fetched_at=now, last_error=message, last_error_at=now
        )
        return _as_page(index, cached, stale=True)
    if page.status != 404 and cached is not None and _older_than(page, cached):
        # an older copy than the one we have (a lagging upstream cache)
        MirrorProject.objects.filter(pk=cached.pk).update(fetched_at=now)
        return _as_page(index, cached, stale=False)
    return _store(index, name, cached, _row_values(page, now))


def _fetch_failed(
    index: Index, cached: MirrorProject | None, error: upstream.UpstreamError
) -> KindPage | None:
    """Upstream unreachable or refusing: the cached page, stale, with the
    error noted on it; without one, the error as the answer."""
    log.warning("mirror %s: %s", index.fullname, error.message)
    _record_contact(index, error.message)
    if cached is not None:
        MirrorProject.objects.filter(pk=cached.pk).update(
            last_error=error.message, last_error_at=timezone.now()
        )
        return _as_page(index, cached, stale=True)
    raise _upstream_error(error) from None


def _older_than(page: upstream.UpstreamPage, cached: MirrorProject) -> bool:
    """Is ``page`` an older serial of the project than the cached one?"""
    return bool(cached.exists and cached.serial and page.serial and page.serial < cached.serial)


def _row_values(page: upstream.UpstreamPage, now: datetime) -> dict:
    """The cached row's fields for what upstream answered (404: no project)."""
    if page.status == 404:
        return {
            "exists": False,
            "links": [],
            "versions": [],
            "fetched_at": now,
            "etag": "",
            "last_modified": "",
            "serial": None,
            "last_error": "",
        }
    versions = sorted({link["version"] for link in page.links if link["version"]})
    return {
        "exists": True,
        "links": page.links,
        "versions": versions,
        "fetched_at": now,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "serial": page.serial,
        "last_error": "",
    }


def _store(index: Index, name: str, cached: MirrorProject | None, values: dict) -> KindPage | None:
    """Keep the fetched page; a changed one moves the index's serial."""
    changed = cached is None or cached.exists != values["exists"] or cached.links != values["links"]
    with transaction.atomic():
        project = upsert(
            MirrorProject,
            {"index_id": index.id, "name": name, **values},
            unique=("index_id", "name"),
            update=tuple(values),
        )
        if changed:
            serial_bump(index.id)
    return _as_page(index, project, stale=False)


def mirror_project_invalidate(index: Index, name: str) -> None:
    """Forget the freshness of a cached page: the next request asks upstream."""
    MirrorProject.objects.filter(index=index, name=normalize_name(name)).update(
        fetched_at=timezone.now() - timedelta(days=3650)
    )
    serial_bump(index.id)
