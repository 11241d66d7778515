"""The mirror's cache policy: project pages fetched on demand and refreshed
after ``mirror_cache_expiry``, files fetched once and verified, the project
list fetched in the background, stale data served when the upstream fails.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import tempfile
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Count, Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from indexes.distribution.archives import InvalidArchive, inspect_archive
from indexes.distribution.filenames import InvalidFilename, parse_filename
from indexes.distribution.names import normalize_name
from indexes.errors import BadGateway, GatewayTimeout, NotFound, ServiceUnavailable
from indexes.services.uploads import archive_limits
from indexes.models import Index
from indexes.simple.data import KindPage, SimpleFile
from indexes.storage import blob_open, blob_put
from indexes.wire import serial_bump
from indexes.blobresponse import IMMUTABLE, blob_response, content_type_for

from ops import metrics

from . import refresh, upstream
from .locks import lease_acquire, lease_held, lease_release, lease_renew, lease_wait
from .models import MirrorFile, MirrorProject, MirrorProjectList, MirrorState

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


# -- project pages -----------------------------------------------------------

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
    return f"{index.fullname}/+f/{sha256[:3]}/{sha256[3:16]}/{link['filename']}"


def _kind_page(index: Index, project: MirrorProject, stale: bool = False) -> KindPage:
    files = [SimpleFile(
        filename=link["filename"], path=_file_path(index, link), sha256=link["sha256"],
        size=link.get("size"), upload_time=link.get("upload_time"),
        requires_python=link.get("requires_python", ""), yanked=link.get("yanked", False),
        yanked_reason=link.get("yanked_reason", ""),
        core_metadata_sha256=link.get("core_metadata_sha256", "") if link["sha256"] else "",
        version=link.get("version", "")) for link in project.links]
    return KindPage(name=project.name, files=files, versions=list(project.versions), stale=stale)


def _cached(index: Index, name: str) -> MirrorProject | None:
    return MirrorProject.objects.filter(index=index, name=name).first()


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
            raise GatewayTimeout(
                f"error timeout waiting for {upstream.project_url(index.config['mirror_url'], name)}",
                retry_after=RETRY_AFTER)
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
            config["mirror_url"], name,
            etag=cached.etag if cached is not None and cached.exists else "",
            last_modified=cached.last_modified if cached is not None and cached.exists else "",
            ignore_serial=bool(config.get("mirror_ignore_serial_header")))
    except upstream.UpstreamError as error:
        log.warning("mirror %s: %s", index.fullname, error.message)
        _record_contact(index, error.message)
        if cached is not None:
            MirrorProject.objects.filter(pk=cached.pk).update(
                last_error=error.message, last_error_at=timezone.now())
            return _as_page(index, cached, stale=True)
        raise _upstream_error(error) from None
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
            fetched_at=now, last_error=message, last_error_at=now)
        return _as_page(index, cached, stale=True)
    if page.status == 404:
        values = {"exists": False, "links": [], "versions": [], "fetched_at": now, "etag": "",
                  "last_modified": "", "serial": None, "last_error": ""}
    else:
        if (cached is not None and cached.exists and cached.serial and page.serial
                and page.serial < cached.serial):
            # an older copy than the one we have (a lagging upstream cache)
            MirrorProject.objects.filter(pk=cached.pk).update(fetched_at=now)
            return _as_page(index, cached, stale=False)
        versions = sorted({link["version"] for link in page.links if link["version"]})
        values = {"exists": True, "links": page.links, "versions": versions, "fetched_at": now,
                  "etag": page.etag, "last_modified": page.last_modified,
                  "serial": page.serial, "last_error": ""}
    changed = cached is None or cached.exists != values["exists"] or cached.links != values["links"]
    with transaction.atomic():
        project, _ = MirrorProject.objects.update_or_create(index=index, name=name,
                                                            defaults=values)
        if changed:
            serial_bump(index.id)
    return _as_page(index, project, stale=False)


def mirror_project_invalidate(index: Index, name: str) -> None:
    """Forget the freshness of a cached page: the next request asks upstream."""
    MirrorProject.objects.filter(index=index, name=normalize_name(name)).update(
        fetched_at=timezone.now() - timedelta(days=3650))
    serial_bump(index.id)


# -- files -----------------------------------------------------------------

def _project_of(index: Index, filename: str) -> str | None:
    try:
        return parse_filename(filename).project
    except InvalidFilename:
        pass
    parts = filename.split("-")
    candidates = [normalize_name("-".join(parts[:n])) for n in range(1, len(parts))]
    known = set(MirrorProject.objects.filter(index=index, name__in=candidates)
                .values_list("name", flat=True))
    for candidate in reversed(candidates):
        if candidate in known:
            return candidate
    return candidates[0] if candidates else None


def _match(cached: MirrorProject | None, filename: str, prefix: str) -> dict | None:
    if cached is None:
        return None
    for link in cached.links:
        if link["filename"] == filename and link["sha256"].startswith(prefix):
            return link
    return None


def _find_link(index: Index, filename: str, prefix: str) -> tuple[str, dict]:
    """The upstream link of a file, from the cached page of its project (the
    page is fetched when missing or expired)."""
    project = _project_of(index, filename)
    if project is None:
        raise NotFound(f"no such file {filename!r}")
    link = _match(_cached(index, project), filename, prefix)
    if link is None:
        mirror_project_page(index, project)
        link = _match(_cached(index, project), filename, prefix)
    if link is None:
        raise NotFound(f"no such file {filename!r} on {index.fullname}")
    return project, link


def mirror_serve_external(request, index: Index, path: str):
    """A file whose upstream link carries no hash, at ``+e/<dir>/<name>``:
    fetched on first request, kept under the sha256 of what arrived."""
    dirname, _, filename = path.rpartition("/")
    if not dirname or "/" in dirname or not filename:
        raise NotFound(f"no such file {path!r}", json=True)
    project = _project_of(index, filename)

    def find(cached):
        for link in cached.links if cached is not None else ():
            if (link["filename"] == filename and not link["sha256"]
                    and external_dir(link["url"]) == dirname):
                return link
        return None

    link = find(_cached(index, project)) if project else None
    if link is None and project:
        mirror_project_page(index, project)
        link = find(_cached(index, project))
    if link is None:
        raise NotFound(f"no such file {path!r} on {index.fullname}", json=True)
    stored = _stored_for(index, link)
    if stored is not None:
        return _serve_stored(request, stored)
    if request.method == "HEAD":
        return HttpResponse(b"", content_type=content_type_for(filename))
    return _download(request, index, project, link)


def _stored_for(index: Index, link: dict) -> MirrorFile | None:
    if link["sha256"]:
        return _stored(index, link["filename"], link["sha256"])
    return MirrorFile.objects.filter(index=index, filename=link["filename"],
                                     url=link["url"]).first()


def _file_lease_key(index: Index, link: dict) -> str:
    ident = link["sha256"] or "url-" + hashlib.sha256(link["url"].encode()).hexdigest()
    return f"mirror-file:{index.id}:{ident}"


def _serve_stored(request, stored: MirrorFile):
    return blob_response(request, sha256=stored.sha256, size=stored.size,
                         filename=stored.filename, last_modified=stored.stored_at)


def _stored(index: Index, filename: str, sha_prefix: str) -> MirrorFile | None:
    return MirrorFile.objects.filter(index=index, filename=filename,
                                     sha256__startswith=sha_prefix).first()


def mirror_serve_file(request, index: Index, path: str):
    parts = path.split("/")
    if len(parts) != 3 or len(parts[0]) != 3 or len(parts[1]) != 13:
        raise NotFound(f"no such file {path!r}")
    prefix, filename = parts[0] + parts[1], parts[2]
    metadata = filename.endswith(".metadata")
    stored = _stored(index, filename, prefix) if not metadata else None
    if stored is not None:
        metrics.mirror_file("hit")
        return _serve_stored(request, stored)
    if metadata:
        return _serve_metadata(request, index, filename[: -len(".metadata")], prefix)
    project, link = _find_link(index, filename, prefix)
    if request.method == "HEAD":
        response = HttpResponse(b"", content_type=content_type_for(filename))
        if link.get("size"):
            response["Content-Length"] = str(link["size"])
        return response
    metrics.mirror_file("miss")
    return _download(request, index, project, link)


def _serve_metadata(request, index: Index, filename: str, prefix: str):
    project, link = _find_link(index, filename, prefix)
    expected = link.get("core_metadata_sha256")
    if not expected:
        raise NotFound(f"no metadata for {filename}")
    meta_name = f"{filename}.metadata"
    stored = MirrorFile.objects.filter(index=index, filename=meta_name, sha256=expected).first()
    if stored is None:
        stored = _metadata_from_stored_wheel(index, project, link)
    if stored is None:
        url = f"{link['url']}.metadata"
        try:
            response = upstream.open_file(url, max_bytes=upstream.max_page_bytes())
            body = upstream._read_body(response, url)
        except upstream.UpstreamError as error:
            _record_contact(index, error.message)
            raise _upstream_error(error) from None
        if hashlib.sha256(body).hexdigest() != expected:
            message = f"error sha256 mismatch getting {url}"
            _record_contact(index, message)
            raise BadGateway(message)
        stored = _store_metadata(index, project, link, body, url)
    return _serve_stored(request, stored)


def _store_metadata(index: Index, project: str, link: dict, body: bytes, url: str) -> MirrorFile:
    with tempfile.SpooledTemporaryFile() as tmp:
        tmp.write(body)
        blob_put(tmp, link["core_metadata_sha256"])
    stored, _ = MirrorFile.objects.get_or_create(
        index=index, filename=f"{link['filename']}.metadata", sha256=link["core_metadata_sha256"],
        defaults={"project": project, "size": len(body), "url": url})
    return stored


def _metadata_from_stored_wheel(index: Index, project: str, link: dict) -> MirrorFile | None:
    """A cached wheel holds its METADATA: serve that when it is the file the
    upstream page announced (same sha256), without asking upstream."""
    wheel = _stored(index, link["filename"], link["sha256"]) if link["sha256"] else None
    if wheel is None or not link["filename"].endswith(".whl"):
        return None
    try:
        dist = parse_filename(link["filename"])
        with blob_open(wheel.sha256) as fh:
            data = inspect_archive(fh, dist, archive_limits())
    except (InvalidFilename, InvalidArchive, OSError):
        return None
    if data is None or hashlib.sha256(data).hexdigest() != link["core_metadata_sha256"]:
        return None
    return _store_metadata(index, project, link, data, f"{link['url']}.metadata")


def _download(request, index: Index, project: str, link: dict):
    """Stream an uncached file to the client while storing it; one upstream
    download per file however many clients ask at once. The response starts
    only once the first block is in: a small file is verified whole before
    any header goes out, so a bad one is a clean 502. After a file failed
    its hash, the next request fetches and verifies it before answering."""
    sha256, filename = link["sha256"], link["filename"]
    key = _file_lease_key(index, link)
    content_type = content_type_for(filename)
    token = lease_acquire(key, LEASE_TTL)
    if token is None:
        lease_wait(key, timeout=_lease_wait_seconds())
        stored = _stored_for(index, link)
        if stored is not None:
            return _serve_stored(request, stored)
        token = lease_acquire(key, LEASE_TTL)
        if token is None:
            raise ServiceUnavailable(f"{filename} is being fetched from upstream, "
                                     f"try again shortly", retry_after=RETRY_AFTER)
    stored = _stored_for(index, link)
    if stored is not None:
        lease_release(key, token)
        return _serve_stored(request, stored)
    try:
        response = upstream.open_file(link["url"])
    except upstream.UpstreamError as error:
        lease_release(key, token)
        _record_contact(index, error.message)
        if error.status == 404:
            raise NotFound(error.message, json=True) from None
        raise _upstream_error(error, json=True) from None
    relay = _relay(index, project, link, response, key, token)
    try:
        if _failed_before(index, project, link):
            for _chunk in relay:
                pass
            stored = _stored_for(index, link)
            if stored is None:  # pragma: no cover - the relay stores or raises
                raise BadGateway(f"error storing {link['url']}", json=True)
            return _serve_stored(request, stored)
        first = next(relay, b"")
    except MirrorIntegrityError as exc:
        raise BadGateway(str(exc), json=True) from None
    streaming = StreamingHttpResponse(itertools.chain([first], relay), content_type=content_type)
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        streaming["Content-Length"] = length
    if sha256:
        streaming["ETag"] = f'"{sha256}"'
    streaming["Cache-Control"] = IMMUTABLE
    return streaming


def _failed_before(index: Index, project: str, link: dict) -> bool:
    """Whether the last fetch of this file failed its hash (noted on the
    project's cached page until the page is next refreshed)."""
    cached = _cached(index, project)
    return bool(cached is not None and cached.last_error
                and cached.last_error == _mismatch_message(link["url"]))


def _mismatch_message(url: str) -> str:
    return f"error sha256 mismatch getting {url}: discarded"


def _relay(index: Index, project: str, link: dict, response, key: str, token: str):
    """Yield the upstream bytes, hashing and writing them; the last chunk is
    held back until the sha256 matched, so a client never receives a whole
    bad file: on a mismatch the connection is cut before the end. A link
    without a hash (``+e``) is kept under the sha256 of what arrived."""
    url, expected = link["url"], link["sha256"]
    tmp_dir = os.path.join(settings.DATA_DIR, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    held = None
    fd, tmp_path = tempfile.mkstemp(dir=tmp_dir, prefix="mirror-")
    try:
        with os.fdopen(fd, "w+b") as tmp:
            try:
                for chunk in response.iter_chunks(CHUNK):
                    if not chunk:
                        continue
                    digest.update(chunk)
                    tmp.write(chunk)
                    size += len(chunk)
                    if held is not None:
                        yield held
                    held = chunk
                    if size % (64 * CHUNK) < CHUNK:
                        lease_renew(key, token, LEASE_TTL)
            except Exception as exc:
                message = f"error {exc.__class__.__name__} getting {url}"
                _record_contact(index, message)
                raise MirrorIntegrityError(message) from None
            actual = digest.hexdigest()
            if expected and actual != expected:
                message = _mismatch_message(url)
                log.error("mirror %s: %s", index.fullname, message)
                _record_contact(index, message)
                MirrorProject.objects.filter(index=index, name=project).update(
                    last_error=message, last_error_at=timezone.now())
                raise MirrorIntegrityError(message)
            tmp.flush()
            blob_put(tmp, actual)
            try:
                with transaction.atomic():
                    MirrorFile.objects.get_or_create(
                        index=index, filename=link["filename"], sha256=actual,
                        defaults={"project": project, "size": size, "url": url})
            except IntegrityError:
                pass
        if held is not None:
            yield held
    finally:
        response.close()
        lease_release(key, token)
        try:
            os.unlink(tmp_path)
        except FileNotFoundError:
            pass


def mirror_fetch_file(index: Index, project: str, link: dict) -> bool:
    """Download a file into the cache without a client (prefetch). True when
    it is now stored."""
    if _stored(index, link["filename"], link["sha256"]) is not None:
        return True
    key = f"mirror-file:{index.id}:{link['sha256']}"
    token = lease_acquire(key, LEASE_TTL)
    if token is None:
        lease_wait(key, timeout=upstream.transfer_seconds())
        return _stored(index, link["filename"], link["sha256"]) is not None
    try:
        response = upstream.open_file(link["url"])
    except upstream.UpstreamError as error:
        lease_release(key, token)
        _record_contact(index, error.message)
        raise
    try:
        for _chunk in _relay(index, project, link, response, key, token):
            pass
    except MirrorIntegrityError:
        return False
    return True


# -- the full project list -----------------------------------------------------

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
    return sorted(MirrorProject.objects.filter(index=index, exists=True)
                  .values_list("name", flat=True))


def _list_row(index: Index) -> MirrorProjectList | None:
    return MirrorProjectList.objects.filter(index=index).only(
        "names", "fetched_at", "last_attempt", "last_error").first()


def _list_wait(index: Index, started, timeout: float) -> MirrorProjectList | None:
    """The list row once the fetch started at ``started`` has finished
    (fetched or failed), or as it is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        row = _list_row(index)
        if row is not None and row.fetched_at is not None:
            return row
        attempted = row is not None and row.last_attempt is not None \
            and row.last_attempt >= started
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
                index.config["mirror_url"], etag=row.etag if row.fetched_at else "")
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
        MirrorProjectList.objects.update_or_create(index=index, defaults={
            "names": "\n".join(unique), "count": len(unique), "fetched_at": now, "etag": etag,
            "last_error": ""})
        return len(unique)
    finally:
        lease_release(key, token)


# -- prefetch ----------------------------------------------------------------

def mirror_prefetch(index: Index, requirements: list[str]) -> dict[str, list[str]]:
    """Fetch the pages and the files of the newest matching version of each
    requirement into the cache. Returns {requirement: [filenames stored]}."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    result: dict[str, list[str]] = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            result[line] = []
            continue
        name = normalize_name(req.name)
        page = mirror_project_page(index, name)
        cached = _cached(index, name)
        if page is None or cached is None:
            result[line] = []
            continue
        candidates = []
        for link in cached.links:
            try:
                version = Version(link["version"])
            except InvalidVersion:
                continue
            if link["yanked"] or not link["sha256"]:
                continue
            if req.specifier.contains(version, prereleases=bool(req.specifier)):
                candidates.append((version, link))
        if not candidates:
            result[line] = []
            continue
        best = max(v for v, _ in candidates)
        stored = []
        for version, link in candidates:
            if version == best and mirror_fetch_file(index, name, link):
                stored.append(link["filename"])
        result[line] = stored
    return result


# -- status ------------------------------------------------------------------

def mirror_status(index: Index) -> dict:
    state = MirrorState.objects.filter(index=index).first()
    files = MirrorFile.objects.filter(index=index).aggregate(n=Count("id"), size=Sum("size"))
    listing = MirrorProjectList.objects.filter(index=index).only("count", "fetched_at").first()
    return {
        "upstream": index.config.get("mirror_url"),
        "last_contact": state.last_contact.isoformat() if state and state.last_contact else None,
        "last_error": state.last_error if state and state.last_error else None,
        "last_error_at": (state.last_error_at.isoformat()
                          if state and state.last_error_at and state.last_error else None),
        "cached_projects": MirrorProject.objects.filter(index=index, exists=True).count(),
        "cached_files": files["n"] or 0,
        "cached_bytes": files["size"] or 0,
        "project_list_size": listing.count if listing and listing.fetched_at else None,
        "project_list_fetched": (listing.fetched_at.isoformat()
                                 if listing and listing.fetched_at else None),
    }
