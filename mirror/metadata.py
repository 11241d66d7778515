"""Mirrored PEP 658 metadata: taken from a cached wheel when it is the file
the upstream page announced, else fetched from upstream once and verified
against the sha256 the page gave for it."""

from __future__ import annotations

import hashlib
import tempfile

from indexes.distribution.archives import InvalidArchive, inspect_archive
from indexes.distribution.filenames import InvalidFilename, parse_filename
from indexes.errors import BadGateway, NotFound
from indexes.models import Index
from indexes.services.uploads import archive_limits
from indexes.storage import blob_open, blob_put

from . import upstream
from .common import _insert_file, _record_contact, _stored, _stored_exact, _upstream_error
from .models import MirrorFile


def metadata_stored(index: Index, project: str, link: dict) -> MirrorFile:
    """The stored PEP 658 metadata of the file of upstream ``link``, fetched
    when missing."""
    expected = link.get("core_metadata_sha256")
    if not expected:
        raise NotFound(f"no metadata for {link['filename']}")
    meta_name = f"{link['filename']}.metadata"
    stored = _stored_exact(index, meta_name, expected)
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
    return stored


def _store_metadata(index: Index, project: str, link: dict, body: bytes, url: str) -> MirrorFile:
    with tempfile.SpooledTemporaryFile() as tmp:
        tmp.write(body)
        blob_put(tmp, link["core_metadata_sha256"])
    filename, sha256 = f"{link['filename']}.metadata", link["core_metadata_sha256"]
    # get_or_create: ours, else the row another worker wrote (or, if that
    # one was removed in between, ours after all)
    for _attempt in range(2):
        stored = _insert_file(index, project, filename, sha256, len(body), url)
        stored = stored or _stored_exact(index, filename, sha256)
        if stored is not None:
            return stored
    raise BadGateway(f"error storing {url}")


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
