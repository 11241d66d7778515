"""HTTP for tox results, plugged into the ``+f`` URLs of the index core
through ``indexes.registry`` (see ``apps.py``):

- ``POST /<user>/<index>/+f/<h3>/<h13>/<file>`` with a tox JSON report, as
  ``devpi test`` sends it: ``{"type": "toxresultpath", "result": <path>}``;
- ``GET`` of that path: the report as posted.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from indexes import permissions
from indexes.auth import request_user
from indexes.blobresponse import IMMUTABLE
from indexes.errors import Forbidden, TooLarge
from indexes.wire import api_response

from . import selectors, services

UPLOAD_FORBIDDEN = ("No permission to upload tox results. "
                    "You can use the devpi test --no-upload option to skip the upload.")


def _body(request) -> bytes:
    limit = settings.DEVPI["MAX_JSON_BYTES"]
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise TooLarge(f"tox report of {length} bytes is larger than the limit of {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"tox report is larger than the limit of {limit} bytes")
    return body


def toxresult_post(request, index, file):
    """A registered file POST handler: store the report for ``file``."""
    user = request_user(request)
    if not permissions.may_upload_toxresult(user, index):
        raise Forbidden(UPLOAD_FORBIDDEN)
    result = services.toxresult_store(file=file, body=_body(request), user=user)
    return api_response(200, type="toxresultpath", result=services.toxresult_path(result))


def toxresult_serve(request, index, path: str):
    """A registered file server: the report at its ``+f`` path, or None."""
    result = selectors.toxresult_by_path(index, path)
    if result is None:
        return None
    data = result.report.encode("utf-8")
    response = HttpResponse(data if request.method == "GET" else b"",
                            content_type="application/json")
    response["Content-Length"] = str(len(data))
    response["ETag"] = f'"{result.sha256}"'
    response["Cache-Control"] = IMMUTABLE
    return response
