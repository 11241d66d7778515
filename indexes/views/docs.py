"""Documentation at devpi-web's URLs:

- ``/<user>/<index>/<project>/<version>/+doc/<relpath>``: the raw files of the
  unpacked doczip (an empty ``relpath`` redirects to ``index.html``);
- ``/<user>/<index>/<project>/<version>/+d/<relpath>``: a page of the web UI
  that shows them in a frame.

``<version>`` may be ``latest`` or ``stable`` (``selectors.doczip_for_docs``).
Documentation is uploaded content: it is served with a sandboxing
``Content-Security-Policy`` so its scripts run in an opaque origin and never
act as the logged-in user of the web UI.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass

from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from .. import selectors
from ..distribution.doczip import InvalidDocZip, member_path
from ..distribution.hashpath import file_path
from ..errors import NotFound
from ..models import DocZip, Index
from ..storage import blob_storage, doc_key
from .common import readable_index

SANDBOX = (
    "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox "
    "allow-modals allow-downloads"
)
MAX_AGE = 60


def _is_file(storage, key: str) -> bool:
    if not storage.exists(key):
        return False
    try:
        return os.path.isfile(storage.path(key))
    except NotImplementedError:  # object storage: keys are files
        return True


def _locate(request, doczip, relpath: str):
    """(storage key, None) of the file a request names, or (None, a redirect
    to the directory's URL with a slash); ``NotFound`` otherwise."""
    storage = blob_storage()
    path = _relpath(relpath)
    key = doc_key(doczip.sha256, path)
    if _is_file(storage, key):
        return key, None
    if not relpath.endswith("/") and _is_file(
        storage, doc_key(doczip.sha256, f"{path}/index.html")
    ):
        return None, redirect(request.path + "/")
    raise NotFound(f"File {relpath} not found in documentation.")


def _relpath(relpath: str) -> str:
    """The file a request names: a directory means its ``index.html``."""
    try:
        path = member_path(relpath)
    except InvalidDocZip:
        raise NotFound(f"File {relpath} not found in documentation.") from None
    if relpath.endswith("/") or not path:
        path = f"{path}/index.html" if path else "index.html"
    return path


@dataclass(frozen=True)
class DocFile:
    """The documentation file a ``+doc``/``+d`` request names."""

    index: Index
    doczip: DocZip
    key: str  # its storage key


def _lookup(
    request, user: str, index: str, project: str, version: str, relpath: str
) -> DocFile | HttpResponse:
    """The file a request names (read access checked), or a redirect: to
    ``index.html`` for an empty path, with a slash for a directory."""
    ix, _order = readable_index(request, user, index)
    if not relpath:
        return redirect(request.path.rstrip("/") + "/index.html")
    doczip = selectors.doczip_for_docs(ix, project, version)
    key, directory = _locate(request, doczip, relpath)
    if directory is not None:
        return directory
    return DocFile(index=ix, doczip=doczip, key=key)


def _content_type(path: str) -> str:
    content_type, encoding = mimetypes.guess_type(path, strict=False)
    if encoding or content_type is None:
        return "application/octet-stream"
    if content_type.startswith("text/") or content_type in (
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ):
        return f"{content_type}; charset=utf-8"
    return content_type


@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
def doc_serve(
    request, user: str, index: str, project: str, version: str, relpath: str
) -> HttpResponseBase:
    found = _lookup(request, user, index, project, version, relpath)
    if isinstance(found, HttpResponse):
        return found
    etag = f'"{found.doczip.sha256}"'
    storage = blob_storage()
    response: HttpResponseBase
    if request.META.get("HTTP_IF_NONE_MATCH") == etag:
        response = HttpResponseNotModified()
    else:
        content_type = _content_type(found.key.rpartition("/")[2])
        if request.method == "HEAD":
            response = HttpResponse(b"", content_type=content_type)
            response["Content-Length"] = str(storage.size(found.key))
        else:
            response = FileResponse(storage.open(found.key, "rb"), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"max-age={MAX_AGE}"
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD"])
def doc_view(
    request, user: str, index: str, project: str, version: str, relpath: str
) -> HttpResponse:
    """The web UI's documentation page: the files of ``+doc`` in a frame."""
    found = _lookup(request, user, index, project, version, relpath)
    if isinstance(found, HttpResponse):
        return found
    ix, doczip = found.index, found.doczip
    path = found.key[len(doc_key(doczip.sha256, "")) :]
    query = request.META.get("QUERY_STRING")
    return render(
        request,
        "indexes/docview.html",
        {
            "index": ix,
            "project": doczip.release.project.name,
            "version": version,
            "doc_version": doczip.release.version,
            "frame_url": f"/{ix.fullname}/{doczip.release.project.name}/{version}/+doc/{path}"
            + (f"?{query}" if query else ""),
            "zip_url": "/" + file_path(ix.fullname, doczip.sha256, doczip.filename),
        },
    )
