"""Release files at ``/<user>/<index>/+f/<h[:3]>/<h[3:16]>/<filename>`` and
their PEP 658 metadata at the same path plus ``.metadata``; a mirror's files
whose upstream link has no hash at ``/<user>/<index>/+e/<dir>/<filename>``."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from .. import filelookup, permissions, project_status, registry, selectors
from ..auth import request_user
from ..blobresponse import blob_response, bytes_response, download_headers, served_response
from ..errors import MethodNotAllowed, NotFound
from ..kinds import kind_for
from ..negotiation import prefers_json
from ..services import removal
from ..wire import api_response, request_state
from .common import force_requested, readable_index, require


def _api(response):
    """A JSON API reply from a +f URL: not a download."""
    response._devpi_api = True
    return response


def _metadata(request, index, path: str, serial: int) -> HttpResponse:
    """PEP 658 metadata, from the file's row (never from its archive)."""
    file_path = path[: -len(".metadata")]
    facts = filelookup.release_file_facts(index.id, file_path, serial)
    if facts is None:
        selectors.release_file_by_path(index, file_path)  # raises 404 or 410
        raise NotFound(f"no such file {file_path!r}")  # pragma: no cover - a race
    data = filelookup.core_metadata(facts.id, serial) if facts.has_metadata else None
    if data is None:
        raise NotFound(f"no metadata for {facts.filename}")
    return bytes_response(
        request,
        data,
        content_type="text/plain; charset=utf-8",
        sha256=facts.core_metadata_sha256,
        filename=file_path.rsplit("/", 1)[-1] + ".metadata",
    )


def _file_meta(file) -> HttpResponse:
    """devpi's JSON answer about a release file (``Accept: application/json``)."""
    release = file.release
    return _api(
        api_response(
            200,
            type="releasefilemeta",
            result={
                "hash_spec": f"sha256={file.sha256}",
                "hashes": {"sha256": file.sha256},
                "last_modified": http_date(file.uploaded_at.timestamp()),
                "project": release.project.name,
                "version": release.version,
                "size": file.size,
            },
        )
    )


def _post(request, index, path: str):
    """A POST to a release file (a tox report): the registered handler's."""
    handler = registry.file_post_handler()
    if handler is None:
        raise MethodNotAllowed(f"method {request.method} not allowed here")
    try:
        file = selectors.release_file_by_path(index, path)
    except NotFound:
        raise NotFound(f"no release file found at {index.fullname}/+f/{path}") from None
    return handler(request, index, file)


def _other_file(request, index, path: str):
    """A +f path that is not a release file: a doczip, or what a registered
    app serves (a tox result). None when nothing has it."""
    doczip = selectors.doczip_by_path(index, path)
    if doczip is not None:
        return blob_response(
            request,
            sha256=doczip.sha256,
            size=doczip.size,
            filename=doczip.filename,
            last_modified=doczip.uploaded_at,
        )
    return registry.serve_other_file(request, index, path)


@csrf_exempt
def serve(request, user, index, path):
    response = _serve(request, user, index, path)
    if request.method in ("GET", "HEAD") and not getattr(response, "_devpi_api", False):
        download_headers(response, path.rsplit("/", 1)[-1])
    else:
        response["X-Content-Type-Options"] = "nosniff"
    return response


def _serve(request, user, index, path):
    serial = 0
    if request.method in ("GET", "HEAD", "POST"):
        ix, order = readable_index(request, user, index)
        serial = request_state(request)[1]
        project_status.check_file(order, path, serial)
    else:
        ix = selectors.index_get(user, index)
    if request.method == "DELETE":
        # the right first: a refusal says nothing of whether the file exists
        actor = request_user(request)
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to delete {path.rpartition('/')[2]} on {ix.fullname}",
        )
        file = selectors.release_file_by_path(ix, path)
        force = force_requested(request, ix)
        removal.check_volatile(ix, force, "file")
        removal.release_file_delete(index=ix, file=file, force=force, actor=actor)
        return api_response(200, f"package {ix.fullname}/+f/{path!r} deleted")
    if request.method not in ("GET", "HEAD", "POST"):
        raise MethodNotAllowed(f"method {request.method} not allowed here")
    if request.method == "POST":
        return _post(request, ix, path)
    if ix.is_mirror:
        kind = kind_for(ix)
        if kind is None:
            raise NotFound(f"no such file {path!r}")
        served = kind.serve_file(ix, path, serial=serial, head=request.method == "HEAD")
        return served_response(request, served)
    if path.endswith(".metadata"):
        return _metadata(request, ix, path, serial)
    if not prefers_json(request.META.get("HTTP_ACCEPT")):
        # the download hot path: the file's facts without the ORM
        facts = filelookup.release_file_facts(ix.id, path, serial)
        if facts is not None:
            return blob_response(
                request,
                sha256=facts.sha256,
                size=facts.size,
                filename=facts.filename,
                last_modified=facts.uploaded_at,
            )
    try:
        file = selectors.release_file_by_path(ix, path)
    except NotFound:
        response = _other_file(request, ix, path)
        if response is None:
            raise
        return response
    if prefers_json(request.META.get("HTTP_ACCEPT")):
        return _file_meta(file)
    return blob_response(
        request,
        sha256=file.sha256,
        size=file.size,
        filename=file.filename,
        last_modified=file.uploaded_at,
    )


@csrf_exempt
def serve_external(request, user, index, path):
    """A mirror's file whose upstream link has no hash (devpi's ``+e/``): read
    rights, quarantine and download headers as for ``+f``."""
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(f"method {request.method} not allowed here")
    ix, order = readable_index(request, user, index)
    project_status.check_file(order, path, request_state(request)[1])
    kind = kind_for(ix) if ix.is_mirror else None
    if kind is None:
        raise NotFound(f"no such file {path!r}", json=True)
    served = kind.serve_external_file(ix, path, head=request.method == "HEAD")
    return download_headers(served_response(request, served), path.rsplit("/", 1)[-1])
