"""``views.upload.upload`` and ``views.push.push_view`` under a DRF view, as
``IndexView`` calls them: the upload permission before the body is read,
the strict form parser, devpi's answers through DRF's exception handler,
and a push's JSON body whatever its content type."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from indexes import selectors
from indexes.auth import request_user
from indexes.models import Project, Release, ReleaseFile
from indexes.rest.base import DevpiView
from indexes.rest.parsers import JSON_PARSERS, UPLOAD_PARSERS
from indexes.views import push, upload
from tests.factories import make_wheel

from .conftest import JSON, assert_error, basic, blob_files, mirror_index, multipart

pytestmark = pytest.mark.django_db


class UploadView(DevpiView):
    """What ``IndexView`` does for a POST and a PUSH."""

    parsers = (*JSON_PARSERS, *UPLOAD_PARSERS)

    def post(self, request, user, index):
        ix = selectors.index_get(user, index)
        if request.content_type.startswith("multipart/"):
            return upload.upload(request, ix)
        return push.push_view(request, ix)

    push = post


class Unreadable:
    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def call(method: str, path: str, body: bytes, content_type: str, **extra):
    request = RequestFactory().generic(method, path, body, content_type=content_type, **extra)
    user, index = path.strip("/").split("/")
    return UploadView.as_view()(request, user=user, index=index)


def form_post(filename: str, content: bytes, action="file_upload", path="/alice/dev/", **extra):
    fields = [(":action", action), ("name", "pkg"), ("version", "1.0")]
    body, content_type = multipart(fields, [("content", filename, content)])
    return call("POST", path, body, content_type, **extra)


@pytest.fixture
def wheel(tmp_path):
    path = make_wheel(tmp_path / "w", "pkg", "1.0")
    return path.name, path.read_bytes()


def assert_nothing_stored(blob_dir):
    assert not ReleaseFile.objects.exists()
    assert not Release.objects.exists()
    assert not Project.objects.exists()
    assert blob_files(blob_dir) == []


def test_upload_through_drf(dev, wheel, blob_dir):
    response = form_post(*wheel, **basic("alice"))
    assert response.status_code == 200, response.content
    assert response.content == b""
    assert ReleaseFile.objects.get().filename == wheel[0]


def test_identical_upload_to_non_volatile_index(prod, wheel):
    first = form_post(*wheel, path="/alice/prod/", **basic("alice"))
    assert first.status_code == 200, first.content
    again = form_post(*wheel, path="/alice/prod/", **basic("alice"))
    assert again.status_code == 200
    assert again.reason_phrase == "Upload of identical file to non volatile index."
    assert ReleaseFile.objects.count() == 1


def test_submit_registers(dev):
    body, content_type = multipart([(":action", "submit"), ("name", "pkg"), ("version", "2.0")], [])
    response = call("POST", "/alice/dev/", body, content_type, **basic("alice"))
    assert response.status_code == 200, response.content
    assert Release.objects.get().version == "2.0"


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("bob", 403)])
def test_permission_before_the_body_is_read(dev, bob, blob_dir, who, status):
    headers = basic(who) if who else {}
    body, content_type = multipart([(":action", "file_upload")], [])
    response = call(
        "POST", "/alice/dev/", body, content_type, **{"wsgi.input": Unreadable()}, **headers
    )
    assert response.status_code == status, response.content
    assert_nothing_stored(blob_dir)


def test_mirror_index_refuses(alice, wheel):
    mirror_index(alice)
    response = form_post(*wheel, path="/alice/pypi/", **basic("alice"))
    assert_error(response, 404, "cannot submit to mirror index")


def test_unsafe_file_name_is_refused_and_nothing_stored(dev, wheel, blob_dir):
    response = form_post("../" + wheel[0], wheel[1], **basic("alice"))
    assert_error(response, 400, "must not contain path components")
    assert_nothing_stored(blob_dir)


def test_oversized_upload_refused_before_reading(settings, dev, blob_dir):
    settings.DEVPI = {**settings.DEVPI, "MAX_UPLOAD_BYTES": 10}
    body, content_type = multipart([(":action", "file_upload")], [])
    extra = {"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(2 * 1024 * 1024)}
    response = call("POST", "/alice/dev/", body, content_type, **extra, **basic("alice"))
    assert_error(response, 413, "is larger than the limit of 10 bytes")
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize("content_type", [JSON, "application/x-www-form-urlencoded", "text/plain"])
def test_push_reads_json_whatever_the_content_type(dev, prod, wheel, content_type):
    assert form_post(*wheel, **basic("alice")).status_code == 200
    body = json.dumps({"name": "pkg", "version": "1.0", "targetindex": "alice/prod"}).encode()
    response = call("PUSH", "/alice/dev", body, content_type, **basic("alice"))
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["type"] == "actionlog"
    assert ReleaseFile.objects.filter(index=prod).count() == 1


def test_push_json_limit(settings, dev, prod):
    settings.DEVPI = {**settings.DEVPI, "MAX_JSON_BYTES": 50}
    body = json.dumps({"name": "pkg" * 50, "version": "1.0", "targetindex": "alice/prod"})
    response = call("PUSH", "/alice/dev", body.encode(), JSON, **basic("alice"))
    assert_error(response, 413, "larger than the limit of 50 bytes")


def test_push_refused_to_a_reader_without_upload_rights(dev, prod, bob, wheel):
    assert form_post(*wheel, **basic("alice")).status_code == 200
    body = json.dumps({"name": "pkg", "version": "1.0", "targetindex": "alice/prod"}).encode()
    response = call("PUSH", "/alice/dev", body, JSON, **basic("bob"))
    assert response.status_code == 401, response.content
    assert not ReleaseFile.objects.filter(index=prod).exists()


def test_request_user_is_kept_on_the_django_request(alice):
    """The middleware's ``record_credential_failure`` reads the answer there."""
    django_request = RequestFactory().post("/alice/dev/", **basic("alice", "wrong"))
    assert request_user(Request(django_request)) is None
    assert django_request._devpi_user is None
