"""The simple repository API (PEP 503/691/592/658/700) of stage indexes,
inheritance and the mirror guard, installer user agents, file downloads and
deletions."""

import hashlib
import json
import re
import zipfile
from datetime import datetime
from urllib.parse import urljoin

import pytest

from indexes.models import Index, Project, Release, ReleaseFile, RemovedFile
from tests.factories import make_sdist, make_wheel

from .conftest import (
    JSON,
    PIP_ACCEPT,
    SIMPLE_JSON,
    api,
    assert_error,
    basic,
    mirror_cache_project,
    mirror_index,
    mirror_link,
    stage,
    upload,
)

PAGE = "http://testserver/alice/dev/+simple/pkg/"


def put_file(client, path, index="alice/dev", name="pkg", version="1.0", user="alice"):
    response = upload(client, f"/{index}/", path, name=name, version=version, headers=basic(user))
    assert response.status_code == 200, (response.status_code, response.reason_phrase)
    return ReleaseFile.objects.get(
        index__owner__username=index.split("/")[0],
        index__name=index.split("/")[1],
        filename=path.name,
    )


@pytest.fixture
def files(client, dev, tmp_path):
    wheel = make_wheel(tmp_path / "w", "pkg", "1.0", requires_python=">=3.8,<4")
    sdist = make_sdist(tmp_path / "s", "pkg", "2.0")
    return put_file(client, wheel), put_file(client, sdist, version="2.0"), wheel, sdist


def anchors(html: str) -> dict[str, dict[str, str]]:
    """filename -> attributes of the anchors of a simple page."""
    result = {}
    for attrs, text in re.findall(r"<a ([^>]*)>([^<]*)</a>", html):
        result[text] = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
    return result


def simple_json(client, url=PAGE, **headers):
    response = client.get(url, HTTP_ACCEPT=SIMPLE_JSON, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == SIMPLE_JSON
    return json.loads(response.content)


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- the project page ---------------------------------------------------------------------


def test_html_project_page(client, files):
    wheel_row, sdist_row, wheel, sdist = files
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in [v.strip() for v in response["Vary"].split(",")]
    html = response.content.decode()
    assert '<meta name="pypi:repository-version" content="1.4">' in html
    links = anchors(html)
    assert list(links) == [wheel.name, sdist.name]
    whl = links[wheel.name]
    assert whl["href"] == (
        f"../../../../alice/dev/+f/{wheel_row.hash_path}#sha256={wheel_row.sha256}"
    )
    assert whl["data-requires-python"] == "&gt;=3.8,&lt;4"
    assert whl["data-core-metadata"] == f"sha256={wheel_row.core_metadata_sha256}"
    assert whl["data-dist-info-metadata"] == whl["data-core-metadata"]
    assert "data-yanked" not in whl
    tar = links[sdist.name]
    assert tar["href"].endswith(f"#sha256={sdist_row.sha256}")
    assert "data-core-metadata" not in tar and "data-requires-python" not in tar
    # the relative links lead to the files
    for row, path in ((wheel_row, wheel), (sdist_row, sdist)):
        url = urljoin(PAGE, links[path.name]["href"].split("#")[0])
        assert url == f"http://testserver/alice/dev/+f/{row.hash_path}"
        data = download(client, url)
        assert data == path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256


def test_json_project_page(client, files):
    wheel_row, sdist_row, wheel, sdist = files
    response = client.get(PAGE, HTTP_ACCEPT=PIP_ACCEPT)
    assert response["Content-Type"] == SIMPLE_JSON
    assert "Accept" in response["Vary"]
    data = json.loads(response.content)
    assert data["meta"] == {"api-version": "1.4"}
    assert data["name"] == "pkg"
    assert data["versions"] == ["1.0", "2.0"]
    whl, tar = data["files"]
    assert whl["filename"] == wheel.name
    assert urljoin(PAGE, whl["url"]) == f"http://testserver/alice/dev/+f/{wheel_row.hash_path}"
    assert whl["hashes"] == {"sha256": wheel_row.sha256}
    assert whl["requires-python"] == ">=3.8,<4"
    assert whl["core-metadata"] == {"sha256": wheel_row.core_metadata_sha256}
    assert whl["dist-info-metadata"] == whl["core-metadata"]
    assert whl["yanked"] is False
    assert whl["size"] == wheel.stat().st_size
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", whl["upload-time"])
    uploaded = datetime.strptime(whl["upload-time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert uploaded == wheel_row.uploaded_at.replace(tzinfo=None)
    assert tar["filename"] == sdist.name and tar["size"] == sdist.stat().st_size
    assert "core-metadata" not in tar and "requires-python" not in tar


def test_simple_html_media_type(client, files):
    response = client.get(PAGE, HTTP_ACCEPT="application/vnd.pypi.simple.v1+html")
    assert response["Content-Type"] == "application/vnd.pypi.simple.v1+html"
    assert len(anchors(response.content.decode())) == 2


def test_core_metadata_file(client, files):
    wheel_row, sdist_row, wheel, _ = files
    response = client.get(f"/alice/dev/+f/{wheel_row.hash_path}.metadata")
    assert response.status_code == 200
    with zipfile.ZipFile(wheel) as zf:
        expected = zf.read("pkg-1.0.dist-info/METADATA")
    assert response.content == expected
    assert hashlib.sha256(response.content).hexdigest() == wheel_row.core_metadata_sha256
    assert response["Content-Length"] == str(len(expected))
    assert "Requires-Python: >=3.8,<4" in response.content.decode()
    assert_error(
        client.get(f"/alice/dev/+f/{sdist_row.hash_path}.metadata"),
        404,
        f"no metadata for {sdist_row.filename}",
    )


def test_requires_python_and_yank_reason_are_escaped(client, dev, tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0", requires_python='>=3.8,!="3.9"')
    put_file(client, wheel)
    response = client.patch(
        "/alice/dev/pkg/1.0",
        json.dumps({"yanked": 'bad "x" <y> & z'}),
        content_type=JSON,
        **api("alice"),
    )
    assert response.status_code == 200
    html = client.get(PAGE).content.decode()
    assert 'data-requires-python="&gt;=3.8,!=&quot;3.9&quot;"' in html
    assert 'data-yanked="bad &quot;x&quot; &lt;y&gt; &amp; z"' in html


def test_yank_and_unyank(client, files, bob):
    wheel_row, sdist_row, wheel, sdist = files
    response = client.patch(
        "/alice/dev/pkg/1.0",
        json.dumps({"yanked": "broken build"}),
        content_type=JSON,
        **api("alice"),
    )
    assert response.status_code == 200
    assert json.loads(response.content)["message"] == "pkg 1.0 yanked on alice/dev"
    links = anchors(client.get(PAGE).content.decode())
    assert links[wheel.name]["data-yanked"] == "broken build"
    assert "data-yanked" not in links[sdist.name]
    data = simple_json(client)
    assert [f["yanked"] for f in data["files"]] == ["broken build", False]
    version = json.loads(client.get("/alice/dev/pkg/1.0", HTTP_ACCEPT=JSON).content)
    assert version["result"]["yanked"] == "broken build"
    # yanked without a reason
    client.patch(
        "/alice/dev/pkg/1.0", json.dumps({"yanked": True}), content_type=JSON, **api("alice")
    )
    assert anchors(client.get(PAGE).content.decode())[wheel.name]["data-yanked"] == ""
    assert simple_json(client)["files"][0]["yanked"] is True
    # un-yank
    response = client.patch(
        "/alice/dev/pkg/1.0", json.dumps({"yanked": False}), content_type=JSON, **api("alice")
    )
    assert response.status_code == 200
    assert "data-yanked" not in client.get(PAGE).content.decode()
    assert [f["yanked"] for f in simple_json(client)["files"]] == [False, False]
    assert Release.objects.get(version="1.0").yanked is False


def test_yank_rights_and_errors(client, files, bob):
    body = json.dumps({"yanked": "x"})
    assert_error(
        client.patch("/alice/dev/pkg/1.0", body, content_type=JSON, **api()),
        403,
        "no permission to modify pkg 1.0 on alice/dev",
    )
    assert_error(
        client.patch("/alice/dev/pkg/1.0", body, content_type=JSON, **api("bob")),
        403,
        "no permission to modify pkg 1.0 on alice/dev",
    )
    assert_error(
        client.patch(
            "/alice/dev/pkg/1.0", json.dumps({"yanked": 5}), content_type=JSON, **api("alice")
        ),
        400,
        "'yanked' must be a reason string, true or false",
    )
    assert_error(
        client.patch(
            "/alice/dev/pkg/1.0", json.dumps({"other": 1}), content_type=JSON, **api("alice")
        ),
        400,
        'expected a JSON object {"yanked": "<reason>"} or {"yanked": false}',
    )
    assert_error(
        client.patch("/alice/dev/pkg/9.9", body, content_type=JSON, **api("alice")),
        404,
        "The version 9.9 of project pkg does not exist",
    )
    assert not Release.objects.filter(yanked=True).exists()


def test_non_normalised_name_redirects(client, files):
    response = client.get("/alice/dev/+simple/PKG/")
    assert response.status_code == 302
    assert response["Location"] == "/alice/dev/+simple/pkg/"
    response = client.get("/alice/dev/+simple/Example_Pkg.Name/", HTTP_ACCEPT=SIMPLE_JSON)
    assert response.status_code == 302
    assert response["Location"] == "/alice/dev/+simple/example-pkg-name/"
    response = client.get("/alice/dev/+simple/pkg")
    assert response.status_code == 302
    assert response["Location"] == "/alice/dev/+simple/pkg/"


def test_unknown_project(client, dev):
    assert_error(
        client.get("/alice/dev/+simple/nothing/", HTTP_ACCEPT=JSON),
        404,
        "The project nothing does not exist.",
    )
    response = client.get("/alice/dev/+simple/nothing/")
    assert response.status_code == 404
    assert response["X-Devpi-Api-Version"] == "2"


def test_unknown_index(client, alice):
    assert_error(
        client.get("/alice/nothing/+simple/pkg/", HTTP_ACCEPT=JSON),
        404,
        "The stage alice/nothing could not be found.",
    )


def test_project_list(client, files, alice, tmp_path):
    put_file(client, make_wheel(tmp_path, "Other_Pkg", "1.0"), name="Other_Pkg")
    response = client.get("/alice/dev/+simple/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta name="pypi:repository-version" content="1.4">' in html
    assert re.findall(r'<a href="([^"]*)">([^<]*)</a>', html) == [
        ("../../../alice/dev/+simple/other-pkg/", "other-pkg"),
        ("../../../alice/dev/+simple/pkg/", "pkg"),
    ]
    assert simple_json(client, "/alice/dev/+simple/") == {
        "meta": {"api-version": "1.4"},
        "projects": [{"name": "other-pkg"}, {"name": "pkg"}],
    }
    assert client.get("/alice/dev/+simple").status_code == 302


# -- inheritance and the mirror guard ----------------------------------------------------------


def test_child_shadows_base_for_the_same_filename(client, alice, blob_dir, tmp_path):
    stage(alice, "base")
    stage(alice, "dev", bases="alice/base")
    base_copy = put_file(
        client, make_wheel(tmp_path / "b", "pkg", "1.0", payload="X = 'base'\n"), index="alice/base"
    )
    base_only = put_file(
        client, make_wheel(tmp_path / "b2", "pkg", "0.9"), index="alice/base", version="0.9"
    )
    dev_copy = put_file(client, make_wheel(tmp_path / "d", "pkg", "1.0", payload="X = 'dev'\n"))
    assert base_copy.sha256 != dev_copy.sha256
    data = simple_json(client)
    assert data["versions"] == ["0.9", "1.0"]
    by_name = {f["filename"]: f for f in data["files"]}
    assert by_name["pkg-1.0-py3-none-any.whl"]["hashes"]["sha256"] == dev_copy.sha256
    assert urljoin(PAGE, by_name["pkg-1.0-py3-none-any.whl"]["url"]) == (
        f"http://testserver/alice/dev/+f/{dev_copy.hash_path}"
    )
    assert urljoin(PAGE, by_name["pkg-0.9-py3-none-any.whl"]["url"]) == (
        f"http://testserver/alice/base/+f/{base_only.hash_path}"
    )
    # the base alone still shows its own copy
    base_page = simple_json(client, "/alice/base/+simple/pkg/")
    assert {f["hashes"]["sha256"] for f in base_page["files"]} == {
        base_copy.sha256,
        base_only.sha256,
    }
    # and the version JSON of the child comes from the child
    versions = json.loads(client.get("/alice/dev/pkg", HTTP_ACCEPT=JSON).content)["result"]
    assert set(versions) == {"0.9", "1.0"}
    assert versions["1.0"]["+links"][0]["href"].startswith("http://testserver/alice/dev/+f/")
    only_own = json.loads(client.get("/alice/dev/pkg?ignore_bases", HTTP_ACCEPT=JSON).content)
    assert set(only_own["result"]) == {"1.0"}


@pytest.fixture
def pypi(root):
    mirror = mirror_index(root)
    mirror_cache_project(
        mirror,
        "pkg",
        [
            mirror_link("pkg-0.1-py3-none-any.whl", "0.1"),
            mirror_link("pkg-1.0-py3-none-any.whl", "1.0"),
        ],
    )
    mirror_cache_project(
        mirror, "pub", [mirror_link("pub-3.0.tar.gz", "3.0", requires_python=">=3.9")]
    )
    return mirror


def test_mirror_files_shown_when_no_private_project(client, pypi, alice, blob_dir):
    stage(alice, "dev", bases="root/pypi")
    data = simple_json(client, "/alice/dev/+simple/pub/")
    [file] = data["files"]
    link = mirror_link("pub-3.0.tar.gz", "3.0")
    assert file["filename"] == "pub-3.0.tar.gz"
    assert file["hashes"] == {"sha256": link["sha256"]}
    assert file["requires-python"] == ">=3.9"
    assert urljoin("http://testserver/alice/dev/+simple/pub/", file["url"]) == (
        f"http://testserver/root/pypi/+f/{link['sha256'][:3]}/{link['sha256'][3:16]}/pub-3.0.tar.gz"
    )
    assert data["versions"] == ["3.0"]


def test_private_project_hides_the_mirror(client, pypi, alice, blob_dir, tmp_path):
    stage(alice, "dev", bases="root/pypi")
    private = put_file(client, make_wheel(tmp_path, "pkg", "0.5"), version="0.5")
    data = simple_json(client)
    assert [f["filename"] for f in data["files"]] == [private.filename]
    assert data["versions"] == ["0.5"]
    html = client.get(PAGE).content.decode()
    assert list(anchors(html)) == [private.filename]
    # whitelisting the name shows the mirror's files again, after the private ones
    response = client.patch(
        "/alice/dev", json.dumps(["mirror_whitelist+=PKG"]), content_type=JSON, **api("alice")
    )
    assert response.status_code == 200
    data = simple_json(client)
    assert sorted(f["filename"] for f in data["files"]) == [
        "pkg-0.1-py3-none-any.whl",
        private.filename,
        "pkg-1.0-py3-none-any.whl",
    ]
    assert data["versions"] == ["0.1", "0.5", "1.0"]


def test_private_project_in_a_base_hides_the_mirror(client, pypi, alice, blob_dir, tmp_path):
    stage(alice, "base", bases="root/pypi")
    stage(alice, "dev", bases="alice/base")
    private = put_file(
        client, make_wheel(tmp_path, "pkg", "0.5"), index="alice/base", version="0.5"
    )
    assert [f["filename"] for f in simple_json(client)["files"]] == [private.filename]
    client.patch(
        "/alice/dev", json.dumps({"mirror_whitelist": "*"}), content_type=JSON, **api("alice")
    )
    assert len(simple_json(client)["files"]) == 3


def test_private_file_shadows_the_mirror_copy_of_the_same_name(
    client, pypi, alice, blob_dir, tmp_path
):
    stage(alice, "dev", bases="root/pypi", mirror_whitelist="pkg")
    private = put_file(client, make_wheel(tmp_path, "pkg", "1.0"))
    files = {f["filename"]: f for f in simple_json(client)["files"]}
    assert files["pkg-1.0-py3-none-any.whl"]["hashes"]["sha256"] == private.sha256
    assert "pkg-0.1-py3-none-any.whl" in files


def test_stage_over_an_unreachable_mirror_knows_nothing(client, pypi, alice, blob_dir):
    stage(alice, "dev", bases="root/pypi")
    response = client.get("/alice/dev/+simple/unknown-project/", HTTP_ACCEPT=JSON)
    assert response.status_code == 502
    assert "error" in json.loads(response.content)["message"]


# -- installers at the plain index URL ----------------------------------------------------------


@pytest.mark.parametrize(
    "agent",
    ['pip/24.0 {"installer":{"name":"pip"}}', "uv/0.4.0", "setuptools/69.0 Python-urllib/3.11"],
)
def test_installer_user_agent_gets_simple_pages(client, files, agent):
    wheel_row, sdist_row, wheel, sdist = files
    response = client.get("/alice/dev/", HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<a href="([^"]*)">', html) == ["../../alice/dev/+simple/pkg/"]
    response = client.get("/alice/dev/pkg/", HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    links = anchors(response.content.decode())
    assert list(links) == [wheel.name, sdist.name]
    href = links[wheel.name]["href"].split("#")[0]
    url = urljoin("http://testserver/alice/dev/pkg/", href)
    assert url == f"http://testserver/alice/dev/+f/{wheel_row.hash_path}"
    assert download(client, url) == wheel.read_bytes()
    # with pip's Accept header: PEP 691 JSON
    response = client.get("/alice/dev/pkg/", HTTP_USER_AGENT=agent, HTTP_ACCEPT=PIP_ACCEPT)
    assert response["Content-Type"] == SIMPLE_JSON
    assert [f["filename"] for f in json.loads(response.content)["files"]] == [
        wheel.name,
        sdist.name,
    ]


def test_browsers_get_no_simple_page_at_the_plain_url(client, files):
    response = client.get("/alice/dev/pkg/", HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 200
    assert "Links for" not in response.content.decode()


# -- file downloads -------------------------------------------------------------------------------


def test_file_download(client, files):
    wheel_row, _, wheel, _ = files
    url = f"/alice/dev/+f/{wheel_row.hash_path}"
    response = client.get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == wheel.read_bytes()
    assert response["Content-Length"] == str(len(data))
    assert response["ETag"] == f'"{wheel_row.sha256}"'
    assert response["Cache-Control"] == "max-age=365000000, immutable, public"
    assert response["Last-Modified"]
    assert "Content-Encoding" not in response
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(data))
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"{wheel_row.sha256}"').status_code == 304
    # pip asks for /%2Bf/...
    quoted = client.get(f"/alice/dev/%2Bf/{wheel_row.hash_path}")
    assert quoted.status_code == 200
    assert b"".join(quoted.streaming_content) == data


def test_file_metadata_as_json(client, files):
    wheel_row = files[0]
    response = client.get(f"/alice/dev/+f/{wheel_row.hash_path}", HTTP_ACCEPT=JSON)
    data = json.loads(response.content)
    assert data["type"] == "releasefilemeta"
    assert data["result"]["hash_spec"] == f"sha256={wheel_row.sha256}"
    assert data["result"]["project"] == "pkg" and data["result"]["version"] == "1.0"


@pytest.mark.parametrize(
    "path", ["abc/0123456789abc/pkg-1.0.tar.gz", "x/y/z", "ab/0123456789abc/pkg-1.0.tar.gz"]
)
def test_unknown_file(client, files, path):
    assert client.get(f"/alice/dev/+f/{path}").status_code == 404


def test_file_of_another_index_is_not_served(client, files, alice):
    stage(alice, "other")
    assert client.get(f"/alice/other/+f/{files[0].hash_path}").status_code == 404


# -- deletions ------------------------------------------------------------------------------------


def test_delete_file_on_volatile(client, files):
    wheel_row, sdist_row, wheel, _ = files
    url = f"/alice/dev/+f/{wheel_row.hash_path}"
    response = client.delete(url, **api("alice"))
    assert response.status_code == 200
    assert not ReleaseFile.objects.filter(pk=wheel_row.pk).exists()
    assert RemovedFile.objects.filter(filename=wheel.name).exists()
    assert_error(client.get(url, HTTP_ACCEPT=JSON), 410, "deleted")
    assert [f["filename"] for f in simple_json(client)["files"]] == [sdist_row.filename]


def test_delete_version_on_volatile(client, files):
    wheel_row, sdist_row, _, _ = files
    assert client.delete("/alice/dev/pkg/1.0", **api("alice")).status_code == 200
    assert list(Release.objects.values_list("version", flat=True)) == ["2.0"]
    assert client.get(f"/alice/dev/+f/{wheel_row.hash_path}").status_code == 410
    data = simple_json(client)
    assert [f["filename"] for f in data["files"]] == [sdist_row.filename]
    assert data["versions"] == ["2.0"]
    assert_error(
        client.delete("/alice/dev/pkg/1.0", **api("alice")),
        404,
        "version '1.0' of project 'pkg' not found on stage 'alice/dev'",
    )


def test_delete_project_on_volatile(client, files):
    wheel_row, sdist_row, _, _ = files
    response = client.delete("/alice/dev/pkg", **api("alice"))
    assert response.status_code == 200
    assert not Project.objects.exists() and not ReleaseFile.objects.exists()
    for row in (wheel_row, sdist_row):
        assert client.get(f"/alice/dev/+f/{row.hash_path}").status_code == 410
    assert client.get(PAGE).status_code == 404
    assert simple_json(client, "/alice/dev/+simple/")["projects"] == []


def test_delete_rights(client, files, bob):
    wheel_row = files[0]
    url = f"/alice/dev/+f/{wheel_row.hash_path}"
    assert_error(
        client.delete(url, **api()),
        403,
        f"no permission to delete {wheel_row.filename} on alice/dev",
    )
    assert_error(
        client.delete(url, **api("bob")),
        403,
        f"no permission to delete {wheel_row.filename} on alice/dev",
    )
    assert_error(
        client.delete("/alice/dev/pkg/1.0", **api("bob")),
        403,
        "no permission to delete pkg 1.0 on alice/dev",
    )
    assert_error(
        client.delete("/alice/dev/pkg", **api("bob")),
        403,
        "no permission to delete project pkg on alice/dev",
    )
    assert ReleaseFile.objects.count() == 2


def test_acl_upload_members_may_delete_on_volatile(client, files, bob):
    client.patch("/alice/dev", json.dumps(["acl_upload+=bob"]), content_type=JSON, **api("alice"))
    assert client.delete("/alice/dev/pkg/2.0", **api("bob")).status_code == 200
    assert list(Release.objects.values_list("version", flat=True)) == ["1.0"]


@pytest.fixture
def prod_files(client, alice, blob_dir, tmp_path):
    stage(alice, "prod", volatile=False, acl_upload="alice,bob")
    wheel = put_file(client, make_wheel(tmp_path / "w", "pkg", "1.0"), index="alice/prod")
    sdist = put_file(
        client, make_sdist(tmp_path / "s", "pkg", "2.0"), index="alice/prod", version="2.0"
    )
    return wheel, sdist


def test_no_deletes_on_non_volatile(client, prod_files):
    wheel, sdist = prod_files
    url = f"/alice/prod/+f/{wheel.hash_path}"
    assert_error(
        client.delete(url, **api("alice")),
        403,
        "cannot delete file on non-volatile index alice/prod",
    )
    assert_error(
        client.delete("/alice/prod/pkg/1.0", **api("alice")),
        403,
        "cannot delete version on non-volatile index alice/prod",
    )
    assert_error(
        client.delete("/alice/prod/pkg", **api("alice")),
        403,
        "cannot delete project on non-volatile index alice/prod",
    )
    assert ReleaseFile.objects.count() == 2
    assert download(client, url)


def test_owner_may_force_deletes_on_non_volatile(client, prod_files):
    wheel, sdist = prod_files
    url = f"/alice/prod/+f/{wheel.hash_path}"
    assert client.delete(url + "?force", **api("alice")).status_code == 200
    assert client.get(url).status_code == 410
    assert client.delete("/alice/prod/pkg/2.0?force", **api("alice")).status_code == 200
    assert not Project.objects.exists()


def test_root_may_force_deletes_on_non_volatile(client, prod_files, root):
    assert client.delete("/alice/prod/pkg?force", **api("root", "rootpw")).status_code == 200
    assert not ReleaseFile.objects.exists()


def test_only_owner_or_root_may_force(client, prod_files, bob):
    # bob may upload to alice/prod, but forcing a delete there is the owner's
    wheel, _ = prod_files
    assert_error(
        client.delete(f"/alice/prod/+f/{wheel.hash_path}?force", **api("bob")), 403, "non-volatile"
    )
    assert_error(client.delete("/alice/prod/pkg?force", **api("bob")), 403, "non-volatile")
    assert ReleaseFile.objects.count() == 2


def test_deletes_on_a_mirror_index_are_refused(client, pypi, root):
    response = client.delete("/root/pypi/pkg", **api("root", "rootpw"))
    assert response.status_code in (403, 404)
    assert Index.objects.filter(name="pypi").exists()


def test_rendered_attributes_are_escaped_whatever_their_source():
    from indexes.simple.data import SimpleFile, SimpleProjectPage
    from indexes.simple.render import project_html

    hostile = '"><script>alert(1)</script>'
    page = SimpleProjectPage(
        name="x",
        files=[
            SimpleFile(
                filename=f"x-1.0.tar.gz{hostile}",
                path=f"u/i/+f/abc/def/x-1.0.tar.gz{hostile}",
                sha256=hostile,
                size=None,
                upload_time=None,
                requires_python=hostile,
                yanked=True,
                yanked_reason=hostile,
                core_metadata_sha256=hostile,
            )
        ],
    )
    html = project_html(page, "/")
    assert "<script>" not in html and '"><' not in html
    assert html.count("&quot;&gt;&lt;script&gt;") >= 5
