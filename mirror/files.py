"""Mirrored files: served from the cache, else fetched once from upstream,
verified against the upstream's sha256 and streamed to the client while
stored; PEP 658 metadata from upstream or from a cached wheel."""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from indexes.distribution.filenames import InvalidFilename, parse_filename
from indexes.distribution.names import normalize_name
from indexes.errors import BadGateway, NotFound, ServiceUnavailable
from indexes.filelookup import SerialCache
from indexes.fileserving import Announced, Served, StoredBlob, Streamed
from indexes.models import Index
from indexes.storage import blob_put
from ops import metrics

from . import upstream
from .common import (
    CHUNK,
    LEASE_TTL,
    RETRY_AFTER,
    MirrorIntegrityError,
    _cached,
    _insert_file,
    _lease_wait_seconds,
    _record_contact,
    _stored,
    _upstream_error,
    log,
)
from .locks import lease_acquire, lease_release, lease_renew, lease_wait
from .metadata import metadata_stored
from .models import MirrorFile, MirrorProject
from .pages import external_dir, mirror_project_page

# (index id, +f path) -> the stored file, while the serial stands: a cached
# file or metadata costs no query beyond the serial (``indexes.filelookup``)
_served = SerialCache()
# a download's lease is renewed each time this much more has arrived (a
# small file, most of them, finishes on the lease it was acquired with)
RENEW_BYTES = 64 * CHUNK


def _blob(stored: MirrorFile) -> StoredBlob:
    """What serving a stored file needs, kept small for ``_served``."""
    return StoredBlob(stored.sha256, stored.size, stored.filename, stored.stored_at)


def _project_of(index: Index, filename: str) -> str | None:
    try:
        return parse_filename(filename).project
    except InvalidFilename:
        pass
    parts = filename.split("-")
    candidates = [normalize_name("-".join(parts[:n])) for n in range(1, len(parts))]
    known = set(
        MirrorProject.objects.filter(index=index, name__in=candidates).values_list(
            "name", flat=True
        )
    )
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


def mirror_external_file(index: Index, path: str, *, head: bool = False) -> Served:
    """A file whose upstream link carries no hash, at ``+e/<dir>/<name>``:
    fetched on first request (not for ``head``), kept under the sha256 of
    what arrived."""
    dirname, _, filename = path.rpartition("/")
    if not dirname or "/" in dirname or not filename:
        raise NotFound(f"no such file {path!r}", json=True)
    project = _project_of(index, filename)

    def find(cached):
        for link in cached.links if cached is not None else ():
            if (
                link["filename"] == filename
                and not link["sha256"]
                and external_dir(link["url"]) == dirname
            ):
                return link
        return None

    if not project:
        raise NotFound(f"no such file {path!r} on {index.fullname}", json=True)
    link = find(_cached(index, project))
    if link is None:
        mirror_project_page(index, project)
        link = find(_cached(index, project))
    if link is None:
        raise NotFound(f"no such file {path!r} on {index.fullname}", json=True)
    stored = _stored_for(index, link)
    if stored is not None:
        return _blob(stored)
    if head:
        return Announced(filename)
    return _download(index, project, link)


def _stored_for(index: Index, link: dict) -> MirrorFile | None:
    if link["sha256"]:
        return _stored(index, link["filename"], link["sha256"])
    return MirrorFile.objects.filter(
        index=index, filename=link["filename"], url=link["url"]
    ).first()


def _file_lease_key(index: Index, link: dict) -> str:
    ident = link["sha256"] or "url-" + hashlib.sha256(link["url"].encode()).hexdigest()
    return f"mirror-file:{index.id}:{ident}"


def mirror_file(index: Index, path: str, *, serial: int, head: bool = False) -> Served:
    """The file or PEP 658 metadata at ``+f/<path>``: from the cache (what
    was found is remembered while ``serial`` stands), else fetched from
    upstream while it is streamed; a ``head`` of an uncached file fetches
    nothing."""
    parts = path.split("/")
    if len(parts) != 3 or len(parts[0]) != 3 or len(parts[1]) != 13:
        raise NotFound(f"no such file {path!r}")
    prefix, filename = parts[0] + parts[1], parts[2]
    metadata = filename.endswith(".metadata")
    key = (index.id, path)
    stored = _served.get(serial, key)
    if stored is None and not metadata:
        row = _stored(index, filename, prefix)
        if row is not None:
            stored = _blob(row)
            _served.put(serial, key, stored)
    if stored is not None:
        if not metadata:
            metrics.mirror_file("hit")
        return stored
    if metadata:
        project, link = _find_link(index, filename[: -len(".metadata")], prefix)
        stored = _blob(metadata_stored(index, project, link))
        _served.put(serial, key, stored)
        return stored
    project, link = _find_link(index, filename, prefix)
    if head:
        return Announced(filename, link.get("size") or None)
    metrics.mirror_file("miss")
    return _download(index, project, link)


def _download(index: Index, project: str, link: dict) -> Served:
    """Stream an uncached file to the client while storing it; one upstream
    download per file however many clients ask at once. The response starts
    only once the first block is in: a small file is verified whole before
    any header goes out, so a bad one is a clean 502. After a file failed
    its hash, the next request fetches and verifies it before answering."""
    sha256, filename = link["sha256"], link["filename"]
    key = _file_lease_key(index, link)
    token = lease_acquire(key, LEASE_TTL)
    if token is None:
        lease_wait(key, timeout=_lease_wait_seconds())
        stored = _stored_for(index, link)
        if stored is not None:
            return _blob(stored)
        token = lease_acquire(key, LEASE_TTL)
        if token is None:
            raise ServiceUnavailable(
                f"{filename} is being fetched from upstream, try again shortly",
                retry_after=RETRY_AFTER,
            )
    stored = _stored_for(index, link)
    if stored is not None:
        lease_release(key, token)
        return _blob(stored)
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
            return _blob(stored)
        first = next(relay, b"")
    except MirrorIntegrityError as exc:
        raise BadGateway(str(exc), json=True) from None
    length = response.headers.get("Content-Length")
    return Streamed(
        filename,
        itertools.chain([first], relay),
        int(length) if length and length.isdigit() else None,
        sha256,
    )


def _failed_before(index: Index, project: str, link: dict) -> bool:
    """Whether the last fetch of this file failed its hash (noted on the
    project's cached page until the page is next refreshed)."""
    cached = _cached(index, project)
    return bool(
        cached is not None
        and cached.last_error
        and cached.last_error == _mismatch_message(link["url"])
    )


def _mismatch_message(url: str) -> str:
    return f"error sha256 mismatch getting {url}: discarded"


def _note_mismatch(index: Index, project: str, url: str) -> str:
    """Note a file that failed its hash on the index and on its project's
    cached page (``_failed_before``); the message."""
    message = _mismatch_message(url)
    log.error("mirror %s: %s", index.fullname, message)
    _record_contact(index, message)
    MirrorProject.objects.filter(index=index, name=project).update(
        last_error=message, last_error_at=timezone.now()
    )
    return message


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
    renew_at = RENEW_BYTES
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
                    if size >= renew_at:  # every RENEW_BYTES, not at the start
                        lease_renew(key, token, LEASE_TTL)
                        renew_at = size + RENEW_BYTES
            except Exception as exc:
                message = f"error {exc.__class__.__name__} getting {url}"
                _record_contact(index, message)
                raise MirrorIntegrityError(message) from None
            actual = digest.hexdigest()
            if expected and actual != expected:
                raise MirrorIntegrityError(_note_mismatch(index, project, url))
            tmp.flush()
            blob_put(tmp, actual, path=tmp_path)  # moved into place when it can be
            _file_record(index, project, link["filename"], actual, size, url)
        if held is not None:
            yield held
    finally:
        response.close()
        lease_release(key, token)
        try:
            os.unlink(tmp_path)
        except FileNotFoundError:
            pass


def _file_record(
    index: Index, project: str, filename: str, sha256: str, size: int, url: str
) -> None:
    """The row of a stored file, unless one stands (another worker's: a
    conflict is no error)."""
    try:
        with transaction.atomic():  # a savepoint inside a caller's transaction
            _insert_file(index, project, filename, sha256, size, url)
    except IntegrityError:  # the index was deleted meanwhile
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
