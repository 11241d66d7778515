"""Documentation zips: the entry checks, ``:action=doc_upload``, the pages at
devpi-web's URLs (``+doc``, ``+d``, ``latest``/``stable``), the ``doczip``
link, refusals that write nothing, and pushes that carry the docs."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from indexes.distribution.doczip import InvalidDocZip, check_doczip
from indexes.models import DocZip, Release, ReleaseFile
from indexes.services.uploads import UploadForm, release_file_upload
from tests.factories import make_wheel

from .conftest import JSON, api, blob_files, stage, upload

pytestmark = pytest.mark.django_db

SITE = {
    "index.html": b"<html><body>example docs</body></html>",
    "api/index.html": b"<html><body>api</body></html>",
    "_static/style.css": b"body { color: black }",
}


def make_zip(entries, *, encrypted: bool = False) -> bytes:
    """A zip of (name or ZipInfo, bytes) entries; ``encrypted`` sets the
    encryption flag that ``zipfile`` will not write itself."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items() if isinstance(entries, dict) else entries:
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    if encrypted:
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            data[at + offset] |= 0x1
    return bytes(data)


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


# -- the entry checks ---------------------------------------------------------------


def check(data: bytes, max_files: int = 100, max_bytes: int = 10**6):
    return check_doczip(io.BytesIO(data), max_files=max_files, max_bytes=max_bytes)


def test_a_sphinx_like_tree_passes():
    members = check(make_zip([("./index.html", b"x"), ("api/", b""), ("api//page.html", b"y")]))
    assert [m.path for m in members] == ["index.html", "api/page.html"]


@pytest.mark.parametrize(
    "entries, message",
    [
        ([("/etc/passwd", b"x")], "has an absolute path"),
        ([("C:/windows/x.html", b"x")], "has an absolute path"),
        ([("../outside.html", b"x")], "escapes the documentation root"),
        ([("docs/../../outside.html", b"x")], "escapes the documentation root"),
        ([("..\\outside.html", b"x")], "contains a backslash"),
        ([("a\x01b.html", b"x")], "has control characters"),
        ([(symlink("index.html"), b"/etc/passwd")], "is a symbolic link"),
        ([("a.html", b"x"), ("./a.html", b"y")], "more than once"),
        ([("api", b"x"), ("api/index.html", b"y")], "as a file and as a directory"),
    ],
)
def test_unsafe_entries_are_refused(entries, message):
    with pytest.raises(InvalidDocZip) as info:
        check(make_zip(entries))
    assert message in str(info.value)


def test_limits_and_non_zips_are_refused():
    with pytest.raises(InvalidDocZip, match="3 entries, more than the limit of 2"):
        check(make_zip({"a": b"1", "b": b"2", "c": b"3"}), max_files=2)
    with pytest.raises(InvalidDocZip, match="more than the limit of 1000 bytes"):
        check(make_zip({"a": b"1" * 600, "b": b"2" * 600}), max_bytes=1000)
    with pytest.raises(InvalidDocZip, match="not a valid zip file"):
        check(b"just some bytes")
    with pytest.raises(InvalidDocZip, match="is encrypted"):
        check(make_zip({"index.html": b"x"}, encrypted=True))


# -- upload and serving ---------------------------------------------------------------


def put(index, tmp_path, version="1.0", name="example"):
    path = make_wheel(tmp_path / version, name, version)
    with open(path, "rb") as fh:
        return release_file_upload(
            index=index,
            user=index.owner,
            filename=path.name,
            content=fh,
            form=UploadForm({"name": [name], "version": [version]}),
        ).file


def doc_upload(
    client, content: bytes, *, index="alice/dev", name="example", version="1.0", user="alice"
):
    return upload(
        client,
        f"/{index}/",
        None,
        name=name,
        version=version,
        action="doc_upload",
        filename=f"{name}-{version}.doc.zip",
        content=content,
        headers=api(user),
    )


def refused(response, status: int, message: str) -> None:
    assert response.status_code == status, (response.status_code, response.content)
    assert message in json.loads(response.content)["message"], response.content


def test_upload_serve_and_link(client, dev, tmp_path):
    put(dev, tmp_path)
    content = make_zip(SITE)
    response = doc_upload(client, content)
    assert response.status_code == 200, response.content
    page = client.get("/alice/dev/example/1.0/+doc/index.html")
    assert page.status_code == 200
    assert b"".join(page.streaming_content) == SITE["index.html"]
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert page["Content-Security-Policy"].startswith("sandbox")
    assert "allow-same-origin" not in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    assert (
        client.get(
            "/alice/dev/example/1.0/+doc/index.html", HTTP_IF_NONE_MATCH=page["ETag"]
        ).status_code
        == 304
    )
    css = client.get("/alice/dev/example/1.0/+doc/_static/style.css")
    assert css["Content-Type"].startswith("text/css")
    assert b"".join(css.streaming_content) == SITE["_static/style.css"]
    # a directory is its index.html; the doc root redirects to it
    assert (
        b"".join(client.get("/alice/dev/example/1.0/+doc/api/").streaming_content)
        == SITE["api/index.html"]
    )
    directory = client.get("/alice/dev/example/1.0/+doc/api")
    assert directory.status_code == 302
    assert directory["Location"] == "/alice/dev/example/1.0/+doc/api/"
    refused(
        client.get("/alice/dev/example/1.0/+doc/_static", HTTP_ACCEPT=JSON),
        404,
        "File _static not found in documentation.",
    )
    root = client.get("/alice/dev/example/1.0/+doc/")
    assert root.status_code == 302
    assert root["Location"] == "/alice/dev/example/1.0/+doc/index.html"
    refused(
        client.get("/alice/dev/example/1.0/+doc/nothing.html", HTTP_ACCEPT=JSON),
        404,
        "File nothing.html not found in documentation.",
    )
    refused(
        client.get("/alice/dev/example/1.0/+doc/../../../x", HTTP_ACCEPT=JSON),
        404,
        "not found in documentation",
    )
    # the version JSON links the zip, which is served under +f
    data = json.loads(client.get("/alice/dev/example/1.0", HTTP_ACCEPT=JSON).content)["result"]
    (link,) = [link for link in data["+links"] if link["rel"] == "doczip"]
    sha = hashlib.sha256(content).hexdigest()
    assert (
        link["href"] == f"http://testserver/alice/dev/+f/{sha[:3]}/{sha[3:16]}/example-1.0.doc.zip"
    )
    assert link["hashes"] == {"sha256": sha} and link["hash_spec"] == f"sha256={sha}"
    assert link["log"][0]["what"] == "upload" and link["log"][0]["who"] == "alice"
    zipped = client.get(link["href"].replace("http://testserver", ""))
    assert b"".join(zipped.streaming_content) == content


def test_docview_page_frames_the_docs(client, dev, tmp_path):
    put(dev, tmp_path)
    doc_upload(client, make_zip(SITE))
    page = client.get("/alice/dev/example/1.0/+d/index.html")
    assert page.status_code == 200
    assert b'src="/alice/dev/example/1.0/+doc/index.html"' in page.content
    assert client.get("/alice/dev/example/1.0/+d/").status_code == 302
    assert client.get("/alice/dev/example/1.0/+d/missing.html").status_code == 404


def test_latest_and_stable(client, dev, tmp_path):
    for version in ("1.0", "2.0b1", "3.0"):
        put(dev, tmp_path, version)
    doc_upload(client, make_zip({"index.html": b"one"}), version="1.0")
    doc_upload(client, make_zip({"index.html": b"two beta"}), version="2.0b1")
    doc_upload(client, make_zip({"readme.txt": b"no index"}), version="3.0")

    def text(version):
        response = client.get(f"/alice/dev/example/{version}/+doc/index.html")
        assert response.status_code == 200, response.content
        return b"".join(response.streaming_content)

    assert text("latest") == b"two beta"  # 3.0's docs have no index.html
    assert text("stable") == b"one"
    assert text("2.0b1") == b"two beta"
    assert client.get("/alice/dev/example/3.0/+doc/readme.txt").status_code == 200
    refused(
        client.get("/alice/dev/example/9.9/+doc/index.html", HTTP_ACCEPT=JSON),
        404,
        "No documentation available.",
    )
    refused(
        client.get("/alice/dev/other/latest/+doc/index.html", HTTP_ACCEPT=JSON),
        404,
        "No documentation available.",
    )
    put(dev, tmp_path, "0.1b1", name="beta-only")
    doc_upload(client, make_zip({"index.html": b"b"}), name="beta-only", version="0.1b1")
    refused(
        client.get("/alice/dev/beta-only/stable/+doc/index.html", HTTP_ACCEPT=JSON),
        404,
        "No stable documentation available.",
    )


def test_version_from_the_latest_release_or_a_new_one(client, dev, tmp_path):
    put(dev, tmp_path, "1.0")
    put(dev, tmp_path, "1.5")
    response = doc_upload(client, make_zip(SITE), version=None)
    assert response.status_code == 200, response.content
    assert DocZip.objects.get().filename == "example-1.5.doc.zip"
    # a named version that has no release yet is registered, as devpi does
    assert doc_upload(client, make_zip(SITE), version="2.0").status_code == 200
    assert Release.objects.filter(version="2.0", project__name="example").exists()
    refused(
        doc_upload(client, make_zip(SITE), name="unknown", version=None),
        400,
        "doczip has no version and 'unknown' has no releases to derive one from",
    )


def test_anonymous_doc_upload_is_challenged(client, dev, tmp_path):
    put(dev, tmp_path)
    response = doc_upload(client, make_zip(SITE), user=None)
    assert response.status_code == 401
    assert not DocZip.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (make_zip({"../evil.html": b"x", "index.html": b"y"}), "escapes the documentation root"),
        (make_zip({"index.html": b"y", "/etc/cron.d/evil": b"x"}), "has an absolute path"),
        (
            make_zip([("index.html", b"y"), (symlink("passwd"), b"/etc/passwd")]),
            "is a symbolic link",
        ),
        (make_zip({f"page{n}.html": b"x" for n in range(4)}), "more than the limit of 3"),
        (make_zip({"big.html": b"x" * 5000}), "more than the limit of 4096 bytes"),
        (b"PK\x03\x04 not really a zip", "not a valid zip file"),
    ],
)
def test_bad_zips_write_nothing(client, dev, tmp_path, blob_dir, settings, content, message):
    settings.DEVPI = {**settings.DEVPI, "DOC_MAX_FILES": 3, "DOC_MAX_BYTES": 4096}
    put(dev, tmp_path)
    before = blob_files(blob_dir)
    response = doc_upload(client, content, version="2.0")
    refused(response, 400, message)
    assert blob_files(blob_dir) == before
    assert not DocZip.objects.exists()
    assert not Release.objects.filter(version="2.0").exists()
    assert not (blob_dir / "docs").exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": None}, "missing 'name' field"),
        ({"name": "not a name!"}, "invalid project name"),
        ({"version": "1.0 beta"}, "invalid version"),
    ],
)
def test_bad_doc_fields_write_nothing(client, dev, blob_dir, fields, message):
    args = {"name": "example", "version": "1.0", **fields}
    refused(doc_upload(client, make_zip(SITE), **args), 400, message)
    assert blob_files(blob_dir) == [] and not DocZip.objects.exists()


def test_non_volatile_docs(client, prod, tmp_path):
    put(prod, tmp_path)
    content = make_zip(SITE)
    assert doc_upload(client, content, index="alice/prod").status_code == 200
    same = doc_upload(client, content, index="alice/prod")
    assert same.status_code == 200
    assert same.reason_phrase == "Upload of identical file to non volatile index."
    refused(
        doc_upload(client, make_zip({"index.html": b"other"}), index="alice/prod"),
        409,
        "example-1.0.doc.zip already exists in non-volatile index",
    )
    assert DocZip.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_volatile_docs_are_replaced(client, dev, tmp_path):
    put(dev, tmp_path)
    doc_upload(client, make_zip({"index.html": b"old"}))
    assert doc_upload(client, make_zip({"index.html": b"new"})).status_code == 200
    page = client.get("/alice/dev/example/1.0/+doc/index.html")
    assert b"".join(page.streaming_content) == b"new"
    assert DocZip.objects.count() == 1


# -- push carries the docs --------------------------------------------------------------


def push(client, **body):
    data = {"name": "example", "version": "1.0", "targetindex": "alice/prod", **body}
    return client.generic("PUSH", "/alice/dev", json.dumps(data), content_type=JSON, **api("alice"))


def test_push_copies_the_doczip(client, dev, prod, tmp_path):
    wheel = put(dev, tmp_path)
    content = make_zip(SITE)
    doc_upload(client, content)
    response = push(client)
    assert response.status_code == 200, response.content
    sha = hashlib.sha256(content).hexdigest()
    assert json.loads(response.content)["result"] == [
        [200, "register", "example", "1.0", "->", "alice/prod"],
        [200, "store_releasefile", f"alice/prod/+f/{wheel.hash_path}"],
        [200, "store_doczip", f"alice/prod/+f/{sha[:3]}/{sha[3:16]}/example-1.0.doc.zip"],
    ]
    page = client.get("/alice/prod/example/latest/+doc/index.html")
    assert b"".join(page.streaming_content) == SITE["index.html"]
    copy = DocZip.objects.get(index=prod)
    assert [entry["what"] for entry in copy.log] == ["upload", "push"]
    # the non-volatile target has it now: pushing again is refused
    refused(
        push(client, only_docs=True),
        409,
        "example-1.0.doc.zip already exists in non-volatile index",
    )


def test_push_no_docs_and_only_docs(client, dev, prod, alice, tmp_path):
    put(dev, tmp_path)
    doc_upload(client, make_zip(SITE))
    stage(alice, "docs")
    only = push(client, only_docs=True, targetindex="alice/docs")
    assert [line[1] for line in json.loads(only.content)["result"]] == ["register", "store_doczip"]
    assert not ReleaseFile.objects.filter(index__name="docs").exists()
    without = push(client, no_docs=True)
    assert [line[1] for line in json.loads(without.content)["result"]] == [
        "register",
        "store_releasefile",
    ]
    assert not DocZip.objects.filter(index=prod).exists()


def test_only_docs_without_docs_is_not_found(client, dev, prod, tmp_path):
    put(dev, tmp_path)
    refused(push(client, only_docs=True), 404, "no release/files found for example 1.0")


def test_an_empty_file_is_documentation_without_pages(client, dev, blob_dir):
    """devpi stores any bytes as documentation; devpi-client's own suite uploads an empty
    ``foo-1.0.doc.zip`` with ``devpi upload --only-docs`` and expects it taken."""
    response = doc_upload(client, b"", name="foo", version="1.0")
    assert response.status_code == 200, response.content
    doczip = DocZip.objects.get()
    assert (doczip.filename, doczip.size) == ("foo-1.0.doc.zip", 0)
    data = json.loads(client.get("/alice/dev/foo/1.0", HTTP_ACCEPT=JSON).content)["result"]
    (link,) = [link for link in data["+links"] if link["rel"] == "doczip"]
    assert [e["what"] for e in link["log"]] == ["upload"]
    served = client.get(link["href"].replace("http://testserver", ""))
    assert served.status_code == 200 and b"".join(served.streaming_content) == b""
    assert client.get("/alice/dev/foo/1.0/+doc/index.html").status_code == 404
