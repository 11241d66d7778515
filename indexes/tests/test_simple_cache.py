"""The simple page cache: every change of what a page shows is visible on
the next request (invalidation by per-index generations), 304s, gzip."""

import gzip

import pytest

from indexes.services.indexes import index_create, index_modify
from indexes.services.uploads import UploadForm, release_file_upload
from tests.factories import make_wheel
from tests.upstream import start_upstream

from .conftest import basic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("blob_dir")]
JSON = "application/vnd.pypi.simple.v1+json"


def upload(index, user, path, name, version):
    with open(path, "rb") as fh:
        return release_file_upload(
            index=index,
            user=user,
            filename=path.name,
            content=fh,
            form=UploadForm({"name": [name], "version": [version]}),
        )


def filenames(client, url):
    r = client.get(url, HTTP_ACCEPT=JSON)
    assert r.status_code == 200, r.content
    return sorted(f["filename"] for f in r.json()["files"])


def test_each_change_shows_on_the_next_request(client, alice, tmp_path):
    base = index_create(owner=alice, name="base", data={})
    dev = index_create(owner=alice, name="dev", data={"bases": "alice/base"})
    other = index_create(owner=alice, name="other", data={})
    w1 = make_wheel(tmp_path / "1", "pkg", "1.0")
    w2 = make_wheel(tmp_path / "2", "pkg", "2.0")
    w3 = make_wheel(tmp_path / "3", "pkg", "3.0")
    upload(base, alice, w1, "pkg", "1.0")
    url = "/alice/dev/+simple/pkg/"
    assert filenames(client, url) == [w1.name]
    # upload to the index itself
    upload(dev, alice, w2, "pkg", "2.0")
    assert filenames(client, url) == [w1.name, w2.name]
    # upload to a base
    upload(base, alice, w3, "pkg", "3.0")
    assert filenames(client, url) == [w1.name, w2.name, w3.name]
    # yank in a base
    r = client.patch(
        "/alice/base/pkg/3.0", {"yanked": "bad"}, content_type="application/json", **basic("alice")
    )
    assert r.status_code == 200
    files = {f["filename"]: f for f in client.get(url, HTTP_ACCEPT=JSON).json()["files"]}
    assert files[w3.name]["yanked"] == "bad"
    # removal of a version
    assert client.delete("/alice/base/pkg/3.0", **basic("alice")).status_code == 200
    assert filenames(client, url) == [w1.name, w2.name]
    # base change: other has nothing, so only dev's own file remains
    index_modify(index=dev, data={"bases": "alice/other"})
    assert filenames(client, url) == [w2.name]
    # a change of the new base shows too
    upload(other, alice, w3, "pkg", "3.0")
    assert filenames(client, url) == [w2.name, w3.name]
    # file removal
    path = client.get(url, HTTP_ACCEPT=JSON).json()["files"][0]["url"]
    file_path = "/" + path.split("../")[-1]
    assert client.delete(file_path, **basic("alice")).status_code == 200
    assert filenames(client, url) == [w3.name]


def test_index_list_follows_uploads(client, alice, tmp_path):
    dev = index_create(owner=alice, name="dev", data={})
    assert client.get("/alice/dev/+simple/", HTTP_ACCEPT=JSON).json()["projects"] == []
    upload(dev, alice, make_wheel(tmp_path, "newpkg", "1.0"), "newpkg", "1.0")
    assert client.get("/alice/dev/+simple/", HTTP_ACCEPT=JSON).json()["projects"] == [
        {"name": "newpkg"}
    ]


def test_mirror_refresh_and_whitelist_change_show(client, alice, tmp_path):
    up = start_upstream(tmp_path / "up")
    try:
        up.add("pub", "1.0")
        index_create(
            owner=alice,
            name="mirror",
            data={"type": "mirror", "mirror_url": up.url, "mirror_cache_expiry": 3600},
        )
        dev = index_create(owner=alice, name="dev", data={"bases": "alice/mirror"})
        url = "/alice/dev/+simple/pub/"
        assert filenames(client, url) == ["pub-1.0-py3-none-any.whl"]
        newer = up.add("pub", "2.0")
        assert filenames(client, url) == ["pub-1.0-py3-none-any.whl"]  # cached, not expired
        r = client.post("/alice/dev/+simple/pub/refresh")
        assert r.status_code == 302
        assert filenames(client, url) == ["pub-1.0-py3-none-any.whl", newer.name]
        # a private upload of the same name hides the mirror; whitelisting shows it again
        private = make_wheel(tmp_path / "p", "pub", "0.1")
        upload(dev, alice, private, "pub", "0.1")
        assert filenames(client, url) == [private.name]
        index_modify(index=dev, data=["mirror_whitelist+=pub"])
        assert filenames(client, url) == sorted(
            [private.name, "pub-1.0-py3-none-any.whl", newer.name]
        )
    finally:
        up.stop()


def test_conditional_requests_and_gzip(client, alice, tmp_path):
    dev = index_create(owner=alice, name="dev", data={})
    for n in range(40):
        upload(dev, alice, make_wheel(tmp_path / str(n), "big", f"1.{n}"), "big", f"1.{n}")
    url = "/alice/dev/+simple/big/"
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "Accept" in first["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == first.content
    # JSON and HTML have their own ETags; a change gives a new one
    assert client.get(url, HTTP_ACCEPT=JSON)["ETag"] != etag
    upload(dev, alice, make_wheel(tmp_path / "x", "big", "9.0"), "big", "9.0")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and b"big-9.0" in changed.content


def test_push_shows_on_the_target_and_its_children(client, alice, tmp_path):
    from indexes.services.push import release_push

    dev = index_create(owner=alice, name="dev", data={})
    stable = index_create(owner=alice, name="stable", data={})
    index_create(owner=alice, name="child", data={"bases": "alice/stable"})
    old = make_wheel(tmp_path / "old", "pkg", "0.9")
    wheel = make_wheel(tmp_path / "new", "pkg", "1.0")
    upload(stable, alice, old, "pkg", "0.9")
    upload(dev, alice, wheel, "pkg", "1.0")
    # both pages are cached now
    assert filenames(client, "/alice/stable/+simple/pkg/") == [old.name]
    assert filenames(client, "/alice/child/+simple/pkg/") == [old.name]
    log = release_push(source=dev, project="pkg", version="1.0", target=stable, user=alice)
    assert log[0][:2] == [200, "register"]
    assert filenames(client, "/alice/stable/+simple/pkg/") == [old.name, wheel.name]
    assert filenames(client, "/alice/child/+simple/pkg/") == [old.name, wheel.name]


@pytest.mark.parametrize("accept", [None, JSON], ids=["html", "json"])
def test_a_cached_public_page_costs_one_query(
    client, alice, tmp_path, accept, django_assert_num_queries
):
    """The hot path of the benchmark (bench/README.md, "Profile of the cached
    page path"): once a page is cached, a request for it reads the server's
    serial (the cache check, and the X-Devpi-Serial header) and nothing else:
    no session, user, index, project or permission query, also for a 304."""
    base = index_create(owner=alice, name="base", data={})
    dev = index_create(owner=alice, name="dev", data={"bases": "alice/base"})
    upload(base, alice, make_wheel(tmp_path / "1", "pkg", "1.0"), "pkg", "1.0")
    upload(dev, alice, make_wheel(tmp_path / "2", "pkg", "2.0"), "pkg", "2.0")
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    for url in ("/alice/dev/+simple/pkg/", "/alice/dev/+simple/"):
        first = client.get(url, **headers)  # builds the page and the cached order
        assert first.status_code == 200, first.content
        with django_assert_num_queries(1):
            cached = client.get(url, **headers)
        assert cached.status_code == 200 and cached.content == first.content
        with django_assert_num_queries(1):
            again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **headers)
        assert again.status_code == 304
