"""HTTP responses for stored blobs (release files, metadata files, mirrored
files), with the zero-copy paths a deployment can choose
(``DEVPI_FILE_SERVING``):

- ``app`` (default): the application streams the file; on the filesystem
  gunicorn hands it to ``sendfile`` through ``wsgi.file_wrapper``;
- ``x-accel-redirect``: nginx serves the file from the blob directory
  (``DEVPI_X_ACCEL_PREFIX``, an ``internal`` location) and the worker is free
  at once;
- ``x-sendfile``: the same for Apache / lighttpd, with the local path;
- ``redirect``: a short-lived presigned URL of the object store (S3).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.utils.http import content_disposition_header, http_date

from .fileserving import Announced, Served, StoredBlob, Streamed
from .middleware import quick_headers
from .storage import blob_key, blob_local_path, blob_open, blob_storage

IMMUTABLE = "max-age=365000000, immutable, public"
# Only these types; anything else (an uploaded or mirrored "x-1.html" or
# "x-1.svg") is application/octet-stream, never a type a browser renders.
CONTENT_TYPES = {
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".egg": "application/zip",
    ".tar.gz": "application/gzip",
    ".tgz": "application/gzip",
    ".tar.bz2": "application/x-bzip2",
    ".tar.xz": "application/x-xz",
    ".metadata": "text/plain; charset=utf-8",
}
DEFAULT_TYPE = "application/octet-stream"
# types a browser would render or run: replaced by DEFAULT_TYPE on downloads
_ACTIVE_TYPES = (
    "text/html",
    "application/xhtml",
    "image/svg",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "multipart/",
)
PRESIGNED_SECONDS = 300


def content_type_for(filename: str) -> str:
    """Never a Content-Encoding: clients must receive the bytes that hash."""
    lower = filename.lower()
    for suffix, ctype in CONTENT_TYPES.items():
        if lower.endswith(suffix):
            return ctype
    return DEFAULT_TYPE


def download_headers(response: HttpResponse, filename: str) -> HttpResponse:
    """What every ``+f`` response carries, stage or mirror: no sniffing, a
    download (never shown inline), and no type a browser renders. A JSON
    report (a tox result) stays viewable: JSON under nosniff runs nothing."""
    if getattr(response, "_devpi_download", None) == filename:
        return response  # a prepared download answer: all of it is there
    response["X-Content-Type-Options"] = "nosniff"
    content_type = response.get("Content-Type", "").lower()
    if content_type.startswith(_ACTIVE_TYPES):
        response["Content-Type"] = DEFAULT_TYPE
    if content_type.startswith("application/json"):
        return response
    if filename and 200 <= response.status_code < 300:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# -- prepared download headers ------------------------------------------------
# A download's headers are the same every time the same file is served: made
# and checked once (as Django checks a header), then stored straight into the
# response, with what ``download_headers`` adds. Django's ``response[name] =
# value`` costs several thousand instructions a header, formatting the date
# more; a +f reply had a dozen. Names that are not plain one-line ASCII take
# the ordinary way.


def _plain(*values: str) -> bool:
    return all(v.isascii() and "\n" not in v and "\r" not in v for v in values)


def _entries(*pairs: tuple[str, str]) -> tuple:
    return tuple((name.lower(), (name, value)) for name, value in pairs)


@lru_cache(maxsize=4096)
def _file_entries(sha256: str, size: int, filename: str, modified: float) -> tuple | None:
    pairs = (
        ("Content-Type", content_type_for(filename)),
        ("Content-Length", str(size)),
        ("Content-Disposition", content_disposition_header(True, filename) or ""),
        ("ETag", f'"{sha256}"'),
        ("Last-Modified", http_date(modified)),
        ("Cache-Control", IMMUTABLE),
        ("X-Content-Type-Options", "nosniff"),
    )
    return _entries(*pairs) if filename and _plain(sha256, *(v for _n, v in pairs)) else None


@lru_cache(maxsize=4096)
def _bytes_entries(sha256: str, size: int, content_type: str, filename: str) -> tuple | None:
    pairs = (
        ("Content-Type", content_type),
        ("Content-Length", str(size)),
        ("ETag", f'"{sha256}"'),
        ("Cache-Control", IMMUTABLE),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Disposition", content_disposition_header(True, filename) or ""),
    )
    plain = content_type == "text/plain; charset=utf-8" and filename
    return _entries(*pairs) if plain and _plain(sha256, *(v for _n, v in pairs)) else None


class _PreparedFileResponse(FileResponse):
    """A ``FileResponse`` whose headers come prepared: nothing is guessed
    from the file (its size, type and name are known)."""

    def set_headers(self, filelike):
        pass


def _prepared(response: HttpResponseBase, entries: tuple, filename: str) -> HttpResponseBase:
    quick_headers(response)  # and the middlewares' own headers the quick way
    response.headers._store.update(entries)
    response._devpi_download = filename  # type: ignore[attr-defined]
    return response


def bytes_response(
    request, data: bytes, *, content_type: str, sha256: str, filename: str = ""
) -> HttpResponse:
    """Small stored bytes served from the database (PEP 658 metadata, a tox
    report): their length, their sha256 as ETag (a matching If-None-Match
    gets 304), immutable; a HEAD gets the headers only. ``filename``: the
    download's name, when the reply is a download (``download_headers``)."""
    etag = f'"{sha256}"'
    response: HttpResponse
    if request.method == "GET" and request.META.get("HTTP_IF_NONE_MATCH") != etag:
        entries = _bytes_entries(sha256, len(data), content_type, filename)
        if entries is not None:
            response = HttpResponse(data, content_type=content_type)
            _prepared(response, entries, filename)
            return response
    if request.META.get("HTTP_IF_NONE_MATCH") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(data if request.method == "GET" else b"", content_type=content_type)
        response["Content-Length"] = str(len(data))
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


def blob_response(
    request, *, sha256: str, size: int, filename: str, last_modified, blob_sha256: str | None = None
) -> HttpResponseBase:
    """Serve the blob of ``blob_sha256`` (default ``sha256``) as ``filename``."""
    etag = f'"{sha256}"'
    mode = settings.DEVPI["FILE_SERVING"]
    key_sha = blob_sha256 or sha256
    response: HttpResponseBase
    if request.META.get("HTTP_IF_NONE_MATCH") == etag:
        response = HttpResponseNotModified()
    elif request.method == "HEAD":
        response = HttpResponse(b"", content_type=content_type_for(filename))
        response["Content-Length"] = str(size)
    elif mode == "redirect":
        storage: Any = blob_storage()  # S3Storage: its url() takes expire
        return redirect(storage.url(blob_key(key_sha), expire=PRESIGNED_SECONDS))
    elif mode == "x-accel-redirect":
        response = HttpResponse(b"", content_type=content_type_for(filename))
        response["X-Accel-Redirect"] = f"{settings.DEVPI['X_ACCEL_PREFIX']}/{blob_key(key_sha)}"
    elif mode == "x-sendfile":
        response = HttpResponse(b"", content_type=content_type_for(filename))
        response["X-Sendfile"] = blob_local_path(key_sha) or ""
    elif entries := _file_entries(sha256, size, filename, last_modified.timestamp()):
        response = _PreparedFileResponse(blob_open(key_sha), content_type=entries[0][1][1])
        return _prepared(response, entries, filename)
    else:
        # filename: browsers save the download under it, not under the blob's name
        response = FileResponse(
            blob_open(key_sha), content_type=content_type_for(filename), filename=filename
        )
        response["Content-Length"] = str(size)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = IMMUTABLE
    return response


def served_response(request, served: Served) -> HttpResponseBase:
    """The response for what an index kind says to serve (``indexes.fileserving``)."""
    if isinstance(served, StoredBlob):
        return blob_response(
            request,
            sha256=served.sha256,
            size=served.size,
            filename=served.filename,
            last_modified=served.last_modified,
        )
    response: HttpResponseBase
    if isinstance(served, Announced):
        response = HttpResponse(b"", content_type=content_type_for(served.filename))
        if served.size:
            response["Content-Length"] = str(served.size)
        return response
    assert isinstance(served, Streamed)
    response = StreamingHttpResponse(served.chunks, content_type=content_type_for(served.filename))
    if served.length is not None:
        response["Content-Length"] = str(served.length)
    if served.sha256:
        response["ETag"] = f'"{served.sha256}"'
    response["Cache-Control"] = IMMUTABLE
    return response
