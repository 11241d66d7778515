"""HTTP for tox results, plugged into the ``+f`` URLs of the index core
through ``indexes.registry`` (see ``apps.py``):

- ``POST /<user>/<index>/+f/<h3>/<h13>/<file>`` with a tox JSON report, as
  ``devpi test`` sends it: ``{"type": "toxresultpath", "result": <path>}``;
- ``GET`` of that path: the report as posted.
"""

from __future__ import annotations

from django.http import HttpResponse

from indexes import permissions
from indexes.auth import request_user
from indexes.blobresponse import bytes_response
from indexes.errors import Forbidden
from indexes.views.common import read_body
from indexes.wire import api_response

from . import selectors, services

UPLOAD_FORBIDDEN = (
    "No permission to upload tox results. "
    "You can use the devpi test --no-upload option to skip the upload."
)


def _body(request) -> bytes:
    return read_body(request, "tox report")


def toxresult_post(request, index, file):
    """A registered file POST handler: store the report for ``file``."""
    user = request_user(request)
    if not permissions.may_upload_toxresult(user, index):
        raise Forbidden(UPLOAD_FORBIDDEN, json=True)  # devpi: JSON for every client
    result = services.toxresult_store(file=file, body=_body(request), user=user)
    return api_response(200, type="toxresultpath", result=services.toxresult_path(result))


def toxresult_serve(request, index, path: str) -> HttpResponse | None:
    """A registered file server: the report at its ``+f`` path, or None."""
    result = selectors.toxresult_by_path(index, path)
    if result is None:
        return None
    return bytes_response(
        request,
        result.report.encode("utf-8"),
        content_type="application/json",
        sha256=result.sha256,
    )
