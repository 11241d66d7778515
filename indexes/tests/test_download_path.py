"""The download hot path (``indexes.filelookup``): a ``+f`` file and its
PEP 658 metadata served from the row's facts, cached per serial, with every
header, refusal and tombstone of the full path."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from indexes import filelookup
from indexes.models import ReleaseFile
from tests.factories import make_wheel

from .conftest import JSON, api, assert_error, basic, stage, upload

pytestmark = pytest.mark.usefixtures("unrestricted")


def put_wheel(client, tmp_path, index="alice/dev", name="pkg", version="1.0"):
    wheel = make_wheel(tmp_path / f"{index.replace('/', '-')}-{version}", name, version)
    response = upload(
        client, f"/{index}/", wheel, name=name, version=version, headers=basic("alice")
    )
    assert response.status_code == 200, response.content
    return ReleaseFile.objects.get(index__name=index.split("/")[1], filename=wheel.name), wheel


def test_file_headers_get_and_head(client, dev, tmp_path):
    file, wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    for method in (client.get, client.head):
        r = method(url)
        assert r.status_code == 200
        assert r["Content-Type"] == "application/zip"
        assert r["Content-Length"] == str(wheel.stat().st_size)
        assert r["ETag"] == f'"{file.sha256}"'
        assert r["Last-Modified"] == http_date(file.uploaded_at.timestamp())
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Disposition"] == f'attachment; filename="{wheel.name}"'
        assert "immutable" in r["Cache-Control"]
    assert b"".join(client.get(url).streaming_content) == wheel.read_bytes()
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"{file.sha256}"').status_code == 304


def test_metadata_from_the_row_with_etag(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}.metadata"
    r = client.get(url)
    assert r.status_code == 200 and r.content == bytes(file.core_metadata)
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert r["Content-Length"] == str(len(file.core_metadata))
    assert r["ETag"] == f'"{file.core_metadata_sha256}"'
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment;")
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(file.core_metadata))
    r = client.get(url, HTTP_IF_NONE_MATCH=f'"{file.core_metadata_sha256}"')
    assert r.status_code == 304 and r.content == b""


def test_a_repeated_download_costs_only_the_serial_query(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url + ".metadata").status_code == 200
    assert len(queries) == 2, [q["sql"] for q in queries]  # the serial, the metadata


def test_deleted_file_is_gone_despite_the_cache(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    assert client.get(url).status_code == 200
    assert client.get(url + ".metadata").status_code == 200
    r = client.delete(url, **basic("alice"))
    assert r.status_code == 200, r.content
    assert client.get(url).status_code == 410
    assert client.get(url + ".metadata").status_code == 410


def test_unknown_and_malformed_paths(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    h = file.sha256
    for path in (
        f"{h[:3]}/{h[3:16]}/other-1.0.tar.gz",
        f"{h[:3]}/{h[3:15]}/{file.filename}",
        f"000/{h[3:16]}/{file.filename}",
        f"{h[:3]}/{h[3:16]}/{file.filename}/x",
        f"{h[:3]}/%_%_%_%_%_%_%/{file.filename}",
    ):
        assert client.get(f"/alice/dev/+f/{path}").status_code == 404, path
        assert client.get(f"/alice/dev/+f/{path}.metadata").status_code == 404, path
    assert filelookup.release_file_facts(dev.id, f"{h[:3]}/{h[3:16]}", 1) is None


def test_private_index_refuses_the_lean_path(client, alice, bob, blob_dir, tmp_path):
    stage(alice, "dev", acl_read="alice")
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    assert client.get(url, **basic("alice")).status_code == 200  # cached now
    for target in (url, url + ".metadata"):
        assert client.get(target).status_code == 401
        assert client.head(target).status_code == 401
        assert client.get(target, **basic("bob")).status_code == 403
    assert client.get(url + ".metadata", **basic("alice")).status_code == 200


def test_quarantine_refuses_the_lean_path(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    assert client.get(url).status_code == 200
    assert client.get(url + ".metadata").status_code == 200
    r = client.patch(
        "/alice/dev/pkg",
        json.dumps({"status": "quarantined", "reason": "bad"}),
        content_type=JSON,
        **api("alice"),
    )
    assert r.status_code == 200, r.content
    for target in (url, url + ".metadata"):
        assert_error(client.get(target), 403, "project pkg is quarantined on alice/dev")


def test_json_accept_still_answers_the_file_facts(client, dev, tmp_path):
    file, _wheel = put_wheel(client, tmp_path)
    url = f"/alice/dev/+f/{file.hash_path}"
    assert client.get(url).status_code == 200
    data = json.loads(client.get(url, HTTP_ACCEPT=JSON).content)
    assert data["result"]["hashes"] == {"sha256": file.sha256}
    assert data["result"]["project"] == "pkg"


def test_serial_cache_is_bounded_and_follows_the_serial():
    cache = filelookup.SerialCache(limit=2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    cache.put(1, "c", 3)
    assert cache.get(1, "a") is None and cache.get(1, "c") == 3
    assert cache.get(2, "c") is None
    cache.put(2, "d", 4)
    assert cache.get(1, "c") is None and cache.get(2, "d") == 4
