"""devpi's wire quirks: reason phrases, the JSON envelope, error replies,
server headers and the serial."""

import json

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from indexes.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from indexes.models import Index, ServerState
from indexes.serverstate import serial_bump, server_state
from indexes.wire import (
    add_server_headers,
    api_response,
    error_response,
    json_response,
    reason_phrase,
)

from .conftest import stage


def test_reason_phrase_is_one_latin1_line():
    assert reason_phrase("a\nb\t c  d") == "a b c d"
    assert reason_phrase("snow \u2603 man") == "snow ? man"
    assert reason_phrase("caf\u00e9") == "caf\u00e9"
    assert reason_phrase("") == "Error"
    # a control character in a user's input (an unknown key named "\xf0\x17"):
    # gunicorn refuses such a status line and answers 500 (found by schemathesis)
    assert reason_phrase("Unknown keys: \u00f0\x17 \x00\x7f") == "Unknown keys: \u00f0? ??"
    assert len(reason_phrase("x" * 1000)) == 400


def test_json_response():
    response = json_response({"a": [1]}, status=201, reason="made it")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"a": [1]}
    assert response.reason_phrase == "made it"


def test_api_envelope():
    assert json.loads(api_response(200, "ok", type="t", result={"x": 1}).content) == {
        "type": "t",
        "result": {"x": 1},
        "message": "ok",
    }
    assert json.loads(api_response(200, "only a message").content) == {"message": "only a message"}
    assert "status" not in json.loads(api_response(200, type="t", result=[]).content)


def test_error_reply_for_json_clients():
    request = RequestFactory().get("/", HTTP_ACCEPT="application/json")
    response = error_response(request, Conflict("x-1.0.tar.gz already exists"))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"message": "x-1.0.tar.gz already exists"}
    assert response.reason_phrase == "Conflict"  # devpi-client prints phrase and message


def test_error_reply_for_other_clients():
    request = RequestFactory().get("/")
    response = error_response(request, Invalid("bad\nthing"))
    assert response.status_code == 400
    assert response.reason_phrase == "bad thing"
    assert "bad\nthing" in response.content.decode()
    assert "WWW-Authenticate" not in response


def test_unauthorized_is_challenged():
    for accept in ("application/json", "*/*"):
        request = RequestFactory().get("/", HTTP_ACCEPT=accept)
        response = error_response(request, Unauthorized("log in"))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="devpi"'


def test_error_statuses():
    request = RequestFactory().get("/")
    assert error_response(request, Forbidden("f")).status_code == 403
    assert error_response(request, NotFound("n")).status_code == 404


def test_server_headers(db):
    response = json_response({})
    uuid, serial = server_state()
    add_server_headers(response, uuid, serial)
    assert response["X-Devpi-Api-Version"] == "2"
    assert response["X-Devpi-Server-Version"] == "6.20.3"
    assert response["X-Devpi-Uuid"] == uuid and len(uuid) == 32
    assert response["X-Devpi-Serial"] == str(serial)
    assert server_state() == (uuid, serial)  # stable


def test_serial_bump_counts_changes_and_bumps_generations(alice):
    dev = stage(alice, "dev")
    other = stage(alice, "other")
    _, before = server_state()
    generations = dict(Index.objects.values_list("id", "generation"))
    serial_bump(dev.id)
    _, after = server_state()
    assert after == before + 1
    now = dict(Index.objects.values_list("id", "generation"))
    assert now[dev.id] == generations[dev.id] + 1
    assert now[other.id] == generations[other.id]


def test_serial_bump_without_a_state_row(db):
    ServerState.objects.all().delete()
    serial_bump()
    assert ServerState.objects.get(pk=1).serial == 1


def test_serial_bump_of_no_index_moves_no_generation(alice):
    dev = stage(alice, "dev")
    generation = Index.objects.get(pk=dev.pk).generation
    _, before = server_state()
    with CaptureQueriesContext(connection) as queries:
        serial_bump()
    assert len(queries) == 1 and server_state()[1] == before + 1
    assert Index.objects.get(pk=dev.pk).generation == generation
