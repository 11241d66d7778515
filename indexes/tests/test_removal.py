"""Removal cascades as devpi's do, and removed files answer 410 Gone."""

import base64

import pytest

from indexes.models import Project, Release, ReleaseFile
from indexes.services.uploads import UploadForm, release_file_upload
from tests.factories import make_sdist, make_wheel

pytestmark = pytest.mark.django_db
AUTH = {
    "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"alice:pw").decode(),
    "HTTP_ACCEPT": "application/json",
}


def put(index, path, version):
    with open(path, "rb") as fh:
        return release_file_upload(
            index=index,
            user=index.owner,
            filename=path.name,
            content=fh,
            form=UploadForm({"name": ["pkg"], "version": [version]}),
        ).file


def test_last_file_takes_version_and_project_with_it(client, dev, tmp_path):
    wheel = put(dev, make_wheel(tmp_path / "w", "pkg", "1.0"), "1.0")
    sdist = put(dev, make_sdist(tmp_path / "s", "pkg", "1.0"), "1.0")
    url = f"/alice/dev/+f/{wheel.hash_path}"
    assert client.get(url).status_code == 200
    r = client.delete(url, **AUTH)
    assert r.status_code == 200, r.content
    gone = client.get(url, HTTP_ACCEPT="application/json")
    assert gone.status_code == 410 and "deleted" in gone.json()["message"]
    assert Release.objects.filter(version="1.0").exists()  # the sdist is still there
    assert client.delete(f"/alice/dev/+f/{sdist.hash_path}", **AUTH).status_code == 200
    assert not Release.objects.exists() and not Project.objects.exists()
    assert client.get("/alice/dev/pkg", HTTP_ACCEPT="application/json").status_code == 404


def test_version_and_project_removal_leave_tombstones(client, dev, tmp_path):
    one = put(dev, make_wheel(tmp_path / "1", "pkg", "1.0"), "1.0")
    two = put(dev, make_wheel(tmp_path / "2", "pkg", "2.0"), "2.0")
    r = client.delete("/alice/dev/pkg/1.0", **AUTH)
    assert r.status_code == 200
    assert client.get(f"/alice/dev/+f/{one.hash_path}").status_code == 410
    assert client.delete("/alice/dev/pkg/1.0", **AUTH).status_code == 404
    assert client.delete("/alice/dev/pkg", **AUTH).status_code == 200
    assert client.get(f"/alice/dev/+f/{two.hash_path}").status_code == 410
    assert not ReleaseFile.objects.exists()
    assert client.get("/alice/dev/+f/abc/0123456789abc/nothing-1.0.tar.gz").status_code == 404
    # re-uploading the same file makes it live again
    put(dev, make_wheel(tmp_path / "2", "pkg", "2.0"), "2.0")
    assert client.get(f"/alice/dev/+f/{two.hash_path}").status_code == 200


def test_file_serving_modes_and_conditional_get(client, dev, tmp_path, settings):
    wheel = put(dev, make_wheel(tmp_path / "w", "pkg", "1.0"), "1.0")
    url = f"/alice/dev/+f/{wheel.hash_path}"
    direct = client.get(url)
    assert b"".join(direct.streaming_content) == (tmp_path / "w" / wheel.filename).read_bytes()
    assert direct["Content-Length"] == str(wheel.size)
    assert client.get(url, HTTP_IF_NONE_MATCH=direct["ETag"]).status_code == 304
    settings.DEVPI = {
        **settings.DEVPI,
        "FILE_SERVING": "x-accel-redirect",
        "X_ACCEL_PREFIX": "/+blobs",
    }
    accel = client.get(url)
    sha = wheel.sha256
    assert accel["X-Accel-Redirect"] == f"/+blobs/{sha[:2]}/{sha[2:4]}/{sha}"
    assert accel.content == b""
    settings.DEVPI = {**settings.DEVPI, "FILE_SERVING": "x-sendfile"}
    sendfile = client.get(url)
    assert sendfile["X-Sendfile"].endswith(f"/{sha[:2]}/{sha[2:4]}/{sha}")
