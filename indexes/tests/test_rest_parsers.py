"""The DRF parsers of ``indexes.rest.parsers`` on their own: the limited JSON
parser, ``body_json`` (a push's body whatever its content type) and the
strict upload form parser, refusing before reading where the declared
length says enough."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from indexes.errors import Invalid, TooLarge
from indexes.rest.parsers import (
    FORM_OVERHEAD,
    JSON_PARSERS,
    UPLOAD_PARSERS,
    body_json,
)

from .conftest import JSON, multipart

FORM = "application/x-www-form-urlencoded"


class Unreadable:
    """A ``wsgi.input`` that fails the test when read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def drf(data: bytes, content_type: str, parsers=JSON_PARSERS, **extra) -> Request:
    django_request = RequestFactory().generic(
        "POST", "/alice/dev/", data, content_type=content_type, **extra
    )
    return Request(django_request, parsers=parsers)


@pytest.fixture
def small_json(settings):
    settings.DEVPI = {**settings.DEVPI, "MAX_JSON_BYTES": 100}


# -- JSON -------------------------------------------------------------------------------


def test_json_is_parsed():
    assert drf(b'{"name": "pkg", "n": [1, 2]}', JSON).data == {"name": "pkg", "n": [1, 2]}


def test_empty_json_body_is_an_empty_object():
    assert drf(b"", JSON).data == {}


def test_oversized_json_is_413(small_json):
    request = drf(json.dumps({"x": "y" * 200}).encode(), JSON)
    with pytest.raises(TooLarge, match="larger than the limit of 100 bytes") as info:
        request.data  # noqa: B018
    assert info.value.status == 413


def test_oversized_declared_json_is_413_before_reading(small_json):
    request = drf(b"{}", JSON, CONTENT_LENGTH="5000", **{"wsgi.input": Unreadable()})
    with pytest.raises(TooLarge, match="of 5000 bytes is larger than the limit of 100 bytes"):
        request.data  # noqa: B018


def test_too_deep_json_is_400():
    request = drf(b"[" * 500 + b"]" * 500, JSON)
    with pytest.raises(Invalid, match="Bad request") as info:
        request.data  # noqa: B018
    assert info.value.status == 400


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe{}", b'{"a": 1'])
def test_bad_json_is_400(body):
    with pytest.raises(Invalid, match="could not decode JSON body"):
        drf(body, JSON).data  # noqa: B018


@pytest.mark.parametrize("content_type", [JSON, FORM, "text/plain"])
def test_body_json_whatever_the_content_type(content_type):
    body = json.dumps({"name": "pkg", "targetindex": "alice/prod"}).encode()
    expected = {"name": "pkg", "targetindex": "alice/prod"}
    assert body_json(drf(body, content_type)) == expected
    assert body_json(drf(body, content_type, parsers=UPLOAD_PARSERS)) == expected
    django_request = RequestFactory().generic("POST", "/alice/dev", body, content_type=content_type)
    assert body_json(django_request) == expected


@pytest.mark.parametrize("content_type", [JSON, FORM])
def test_body_json_keeps_the_limits(small_json, content_type):
    with pytest.raises(TooLarge):
        body_json(drf(json.dumps({"x": "y" * 200}).encode(), content_type))
    with pytest.raises(Invalid, match="could not decode JSON body"):
        body_json(drf(b"name=pkg", content_type))


# -- the upload form ------------------------------------------------------------------------


def form_request(filename: str, content: bytes = b"sdist bytes", **extra) -> Request:
    fields = [(":action", "file_upload"), ("name", "pkg"), ("version", "1.0")]
    body, content_type = multipart(fields, [("content", filename, content)])
    return drf(body, content_type, parsers=UPLOAD_PARSERS, **extra)


def test_upload_form_is_parsed():
    request = form_request("pkg-1.0.tar.gz")
    assert request.POST[":action"] == "file_upload"
    assert request.POST.getlist("name") == ["pkg"]
    content = request.FILES["content"]
    assert content.name == "pkg-1.0.tar.gz"
    assert content.read() == b"sdist bytes"


@pytest.mark.parametrize(
    "filename",
    ["../pkg-1.0.tar.gz", "/tmp/pkg-1.0.tar.gz", "..\\pkg-1.0.tar.gz", "a/b/pkg-1.0.tar.gz"],
)
def test_file_name_with_path_components_is_400(filename):
    request = form_request(filename)
    with pytest.raises(Invalid, match="must not contain path components") as info:
        request.POST  # noqa: B018
    assert info.value.status == 400
    assert repr(filename) in str(info.value)


def test_unsafe_name_stops_the_parse(monkeypatch):
    """Refused at the part header: no upload handler receives the file."""
    from django.core.files.uploadhandler import MemoryFileUploadHandler

    started = []
    monkeypatch.setattr(
        MemoryFileUploadHandler,
        "new_file",
        lambda self, *args, **kwargs: started.append(args),
    )
    with pytest.raises(Invalid):
        form_request("../pkg-1.0.tar.gz").POST  # noqa: B018
    assert started == []


def test_upload_over_the_declared_limit_is_413_before_reading(settings):
    settings.DEVPI = {**settings.DEVPI, "MAX_UPLOAD_BYTES": 100}
    length = 100 + FORM_OVERHEAD + 1
    request = form_request(
        "pkg-1.0.tar.gz", CONTENT_LENGTH=str(length), **{"wsgi.input": Unreadable()}
    )
    with pytest.raises(TooLarge, match=f"upload of {length} bytes is larger than the limit of 100"):
        request.POST  # noqa: B018


def test_broken_multipart_is_400():
    request = drf(b"--x\r\nnot a form", "multipart/form-data", parsers=UPLOAD_PARSERS)
    with pytest.raises(Invalid, match="multipart form parse error"):
        request.POST  # noqa: B018
