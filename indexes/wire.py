"""devpi's wire quirks in one place: the JSON envelope, error texts in the
reason phrase, the exact ``application/json`` content type, the server
headers devpi-client checks, and the mapping of domain errors to responses.
"""

from __future__ import annotations

import json
import re

from django.http import HttpResponse

from devpi_django import __version__

from .distribution.redact import redact_text
from .errors import DevpiError
from .negotiation import prefers_json
from .rest.response import envelope
from .serverstate import API_VERSION, DEVPI_SERVER_COMPAT_VERSION, server_state


def reason_phrase(message: str) -> str:
    """An HTTP reason phrase: one line, ISO-8859-1 safe, no control
    characters (a WSGI server refuses the status line: a 500), not too long."""
    text = " ".join(str(message).split())
    text = text.encode("latin-1", "replace").decode("latin-1")
    return CONTROL_CHARACTERS.sub("?", text)[:400] or "Error"


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def empty_response(reason: str | None = None) -> HttpResponse:
    """An empty 200 (the legacy upload API's answer), with ``reason`` as its
    reason phrase when given (devpi's note on an identical re-upload)."""
    response = HttpResponse("")
    if reason:
        response.reason_phrase = reason_phrase(reason)
    return response


def json_response(data, status: int = 200, reason: str | None = None) -> HttpResponse:
    body = json.dumps(data, indent=2) + "\n"
    response = HttpResponse(body, status=status, content_type="application/json")
    if reason:
        response.reason_phrase = reason_phrase(reason)
    return response


def api_response(
    status: int = 200,
    message: str | None = None,
    *,
    type: str | None = None,
    result=None,
    extra: dict | None = None,
) -> HttpResponse:
    """devpi's envelope (``rest.response.envelope``) as a response."""
    return json_response(envelope(type, result, message, extra), status=status)


def error_response(request, error: DevpiError) -> HttpResponse:
    """A domain error: JSON ``{"message"}`` with the standard reason phrase for
    API clients (devpi-client prints both), else text with the message as the
    reason phrase (twine and setuptools show it). Errors raised with
    ``json=True`` are JSON for every client, as devpi's are there."""
    # credentials in URLs (a mirror_url's) never reach an error reply
    status, message = error.status, redact_text(error.message)
    if error.json or prefers_json(request.META.get("HTTP_ACCEPT")):
        response = json_response({"message": message}, status=status)
    else:
        response = HttpResponse(
            f"{status} {message}\n", status=status, content_type="text/plain; charset=utf-8"
        )
        response.reason_phrase = reason_phrase(message)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="devpi"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response


# -- server identity and serial (indexes.serverstate) in the response ----------


def request_state(request):
    """``server_state()`` once per read-only request (the view and the
    response headers share it); writes read it again for their headers.
    A DRF request answers for the Django request it wraps."""
    request = getattr(request, "_request", request)
    state = getattr(request, "_devpi_state", None)
    if state is None:
        state = request._devpi_state = server_state()
    return state


def add_server_headers(response, uuid: str, serial: int) -> None:
    response["X-Devpi-Api-Version"] = API_VERSION
    response["X-Devpi-Server-Version"] = DEVPI_SERVER_COMPAT_VERSION
    response["X-Devpi-Django-Version"] = __version__
    response["X-Devpi-Uuid"] = uuid
    response["X-Devpi-Serial"] = str(serial)
