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
    response["X-Content-Type-Options"] = "nosniff"
    content_type = response.get("Content-Type", "").lower()
    if content_type.startswith(_ACTIVE_TYPES):
        response["Content-Type"] = DEFAULT_TYPE
    if content_type.startswith("application/json"):
        return response
    if filename and 200 <= response.status_code < 300:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def bytes_response(request, data: bytes, *, content_type: str, sha256: str) -> HttpResponse:
    """Small stored bytes served from the database (PEP 658 metadata, a tox
    report): their length, their sha256 as ETag (a matching If-None-Match
    gets 304), immutable; a HEAD gets the headers only."""
    etag = f'"{sha256}"'
    response: HttpResponse
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
