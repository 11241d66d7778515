"""devpi's wire quirks in one place: the JSON envelope, error texts in the
reason phrase, the exact ``application/json`` content type, the server
headers devpi-client checks, and the mapping of domain errors to responses.
"""

from __future__ import annotations

import json
import uuid as uuid_module

from django.db import connection, transaction
from django.db.models import F
from django.http import HttpResponse

from devpi_django import __version__

from .distribution.redact import redact_text
from .errors import DevpiError
from .negotiation import prefers_json

API_VERSION = "2"
# devpi-client reads the devpi-server version from here; we speak its protocol
DEVPI_SERVER_COMPAT_VERSION = "6.20.3"


def reason_phrase(message: str) -> str:
    """An HTTP reason phrase: one line, ISO-8859-1 safe, not too long."""
    text = " ".join(str(message).split())
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text[:400] or "Error"


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
    """devpi's ``{"type", "result", "message"}`` envelope (``extra``: keys
    beside them, which devpi-client ignores)."""
    data: dict = dict(extra or {})
    if result is not None or type is not None:
        data["result"] = result
        data["type"] = type
    if message:
        data["message"] = message
    return json_response(data, status=status)


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


# -- server identity and serial -------------------------------------------

_STATE_SQL: str | None = None  # server_state()'s statement, made on first use


def server_state():
    """(uuid, serial) of this server; the row is created on first use.

    On every request, so one plain SQL statement rather than an ORM query
    (whose compilation costs more than the query itself), made once."""
    global _STATE_SQL
    if _STATE_SQL is None:
        from .models import ServerState

        _STATE_SQL = f"SELECT uuid, serial FROM {ServerState._meta.db_table} WHERE id = 1"
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL)
        row = cursor.fetchone()
    if row is None:
        from .models import ServerState

        state, _ = ServerState.objects.get_or_create(
            pk=1, defaults={"uuid": uuid_module.uuid4().hex}
        )
        return state.uuid, state.serial
    return row[0], row[1]


def request_state(request):
    """``server_state()`` once per read-only request (the view and the
    response headers share it); writes read it again for their headers."""
    state = getattr(request, "_devpi_state", None)
    if state is None:
        state = request._devpi_state = server_state()
    return state


def serial_bump(*changed_index_ids: int) -> None:
    """Count one change (devpi's serial), and bump the generation of the
    indexes whose pages it changes. Call inside the writing transaction."""
    from .models import ServerState

    if changed_index_ids:
        generation_bump(*changed_index_ids)
    if not ServerState.objects.filter(pk=1).update(serial=F("serial") + 1):
        with transaction.atomic():
            ServerState.objects.get_or_create(
                pk=1, defaults={"uuid": uuid_module.uuid4().hex, "serial": 1}
            )


def add_server_headers(response, uuid: str, serial: int) -> None:
    response["X-Devpi-Api-Version"] = API_VERSION
    response["X-Devpi-Server-Version"] = DEVPI_SERVER_COMPAT_VERSION
    response["X-Devpi-Django-Version"] = __version__
    response["X-Devpi-Uuid"] = uuid
    response["X-Devpi-Serial"] = str(serial)


def generation_bump(*index_ids: int) -> None:
    """Note a change of what these indexes show (uploads, removals, pushes,
    yanks, config changes, mirror refreshes). Page caches key on it."""
    from .models import Index

    Index.objects.filter(pk__in=index_ids).update(generation=F("generation") + 1)
