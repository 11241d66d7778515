"""The legacy upload API (twine, devpi-client, setuptools): multipart POSTs
to ``/<user>/<index>/``. Every refused upload leaves nothing behind: no
rows, no blobs."""

import hashlib
import io
import json
import zipfile

import pytest

from indexes.models import Project, Release, ReleaseFile
from indexes.storage import blob_key
from tests.factories import make_sdist, make_wheel

from .conftest import (
    JSON,
    assert_error,
    basic,
    blob_files,
    mirror_index,
    stage,
    upload,
)

URL = "/alice/dev/"


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path / "wheel", "pkg", "1.0", requires_python=">=3.8")


def post(client, path, url=URL, auth=("alice", "pw"), **kwargs):
    kwargs.setdefault("name", "pkg")
    kwargs.setdefault("version", "1.0")
    headers = kwargs.pop("headers", None) or (basic(*auth) if auth else {})
    return upload(client, url, path, headers=headers, **kwargs)


def assert_nothing_stored(blob_dir):
    assert not ReleaseFile.objects.exists()
    assert not Release.objects.exists()
    assert not Project.objects.exists()
    assert blob_files(blob_dir) == []


def served(client, file: ReleaseFile) -> bytes:
    response = client.get(f"/{file.index.fullname}/+f/{file.hash_path}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# -- success -----------------------------------------------------------------------------


def test_upload_wheel(client, dev, wheel, blob_dir):
    response = post(client, wheel)
    assert response.status_code == 200, response.content
    assert response.content == b""
    file = ReleaseFile.objects.get()
    data = wheel.read_bytes()
    assert file.filename == "pkg-1.0-py3-none-any.whl"
    assert file.index == dev
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert file.size == len(data)
    assert file.packagetype == "bdist_wheel"
    assert file.requires_python == ">=3.8"
    assert file.uploader == "alice"
    with zipfile.ZipFile(wheel) as zf:
        assert bytes(file.core_metadata) == zf.read("pkg-1.0.dist-info/METADATA")
    assert file.core_metadata_sha256 == hashlib.sha256(bytes(file.core_metadata)).hexdigest()
    assert file.release.version == "1.0"
    assert file.release.project.name == "pkg"
    assert blob_files(blob_dir) == [blob_dir / blob_key(file.sha256)]
    assert (blob_dir / blob_key(file.sha256)).read_bytes() == data
    assert served(client, file) == data


def test_upload_sdist_without_trailing_slash(client, dev, tmp_path):
    sdist = make_sdist(tmp_path, "Example.Pkg", "2.0b1")
    response = post(client, sdist, url="/alice/dev", name="Example.Pkg", version="2.0b1")
    assert response.status_code == 200, response.content
    file = ReleaseFile.objects.get()
    assert (file.filename, file.packagetype, file.pyversion) == (
        "example_pkg-2.0b1.tar.gz",
        "sdist",
        "source",
    )
    assert file.core_metadata is None
    assert file.release.project.name == "example-pkg"
    assert file.release.project.display_name == "Example.Pkg"


def test_upload_legacy_egg(client, dev):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: pkg\nVersion: 1.0\n\n")
    response = post(client, None, content=buf.getvalue(), filename="pkg-1.0-py3.11.egg")
    assert response.status_code == 200, response.content
    file = ReleaseFile.objects.get()
    assert (file.packagetype, file.pyversion) == ("bdist_egg", "3.11")


def test_upload_records_the_metadata_with_lists(client, dev, wheel):
    extra = [
        ("summary", "A package"),
        ("author", "Alice"),
        ("license", "UNKNOWN"),
        ("classifiers", "Programming Language :: Python :: 3"),
        ("classifiers", "License :: OSI Approved :: MIT License"),
        ("requires_dist", "attrs>=21"),
        ("requires_dist", "idna; extra == 'web'"),
        ("provides_extra", "web"),
        ("provides_extra", "test"),
        ("metadata_version", "2.1"),
    ]
    assert post(client, wheel, extra=extra).status_code == 200
    release = Release.objects.get()
    assert release.metadata["classifiers"] == [
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ]
    response = client.get("/alice/dev/pkg/1.0", HTTP_ACCEPT=JSON)
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["type"] == "versiondata"
    result = data["result"]
    assert result["name"] == "pkg" and result["version"] == "1.0"
    assert result["summary"] == "A package" and result["author"] == "Alice"
    assert result["license"] == ""
    assert result["classifiers"] == [
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ]
    assert result["requires_dist"] == ["attrs>=21", "idna; extra == 'web'"]
    assert result["provides_extras"] == ["web", "test"]
    assert "provides_extra" not in result
    [link] = result["+links"]
    file = ReleaseFile.objects.get()
    assert link["rel"] == "releasefile"
    assert link["href"] == f"http://testserver/alice/dev/+f/{file.hash_path}"
    assert link["hash_spec"] == f"sha256={file.sha256}"
    assert link["log"][0]["what"] == "upload" and link["log"][0]["who"] == "alice"
    assert link["log"][0]["dst"] == "alice/dev"
    assert len(link["log"][0]["when"]) == 6


def test_matching_digests_are_accepted(client, dev, wheel):
    data = wheel.read_bytes()
    extra = [
        ("sha256_digest", hashlib.sha256(data).hexdigest().upper()),
        ("blake2_256_digest", hashlib.blake2b(data, digest_size=32).hexdigest()),
        ("md5_digest", hashlib.md5(data).hexdigest()),
    ]
    assert post(client, wheel, extra=extra).status_code == 200
    assert ReleaseFile.objects.count() == 1


def test_second_file_of_a_version(client, dev, wheel, tmp_path):
    assert post(client, wheel).status_code == 200
    assert post(client, make_sdist(tmp_path, "pkg", "1.0")).status_code == 200
    assert Release.objects.count() == 1
    assert sorted(ReleaseFile.objects.values_list("filename", flat=True)) == [
        "pkg-1.0-py3-none-any.whl",
        "pkg-1.0.tar.gz",
    ]


def test_acl_anonymous_and_authenticated(client, alice, bob, blob_dir, wheel, tmp_path):
    stage(alice, "open", acl_upload=":ANONYMOUS:")
    stage(alice, "members", acl_upload=":AUTHENTICATED:")
    assert post(client, wheel, url="/alice/open/", auth=None).status_code == 200
    assert ReleaseFile.objects.get().uploader == ""
    assert post(client, wheel, url="/alice/members/", auth=("bob", "pw")).status_code == 200
    assert ReleaseFile.objects.get(index__name="members").uploader == "bob"


def test_register_without_file(client, dev):
    response = post(client, None, action="submit", extra=[("summary", "registered")])
    assert response.status_code == 200
    release = Release.objects.get()
    assert release.metadata["summary"] == "registered"
    assert not ReleaseFile.objects.exists()


# -- refused uploads: status, message, nothing stored ----------------------------------------


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("pkg-1.0.txt", "unsupported file type: 'pkg-1.0.txt'"),
        ("pkg-1.0", "unsupported file type: 'pkg-1.0'"),
        ("pkg.whl", "invalid wheel filename 'pkg.whl'"),
        (".pkg-1.0.tar.gz", "must not contain path components"),
    ],
)
def test_unknown_or_unsafe_filename(client, dev, wheel, blob_dir, filename, message):
    response = post(client, None, content=wheel.read_bytes(), filename=filename)
    assert_error(response, 400, message)
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize(
    "filename",
    ["../pkg-1.0.tar.gz", "/tmp/pkg-1.0.tar.gz", "..\\pkg-1.0.tar.gz", "sub/dir/pkg-1.0.tar.gz"],
)
def test_filename_with_path_components(client, dev, tmp_path, blob_dir, filename):
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    response = post(client, None, content=sdist.read_bytes(), filename=filename)
    assert_error(response, 400, "must not contain path components")
    assert filename in response.reason_phrase or repr(filename)[1:-1] in response.reason_phrase
    assert_nothing_stored(blob_dir)


def test_name_mismatch(client, dev, wheel, blob_dir):
    response = post(client, wheel, name="other")
    assert_error(
        response, 400, "filename 'pkg-1.0-py3-none-any.whl' does not match project name 'other'"
    )
    assert_nothing_stored(blob_dir)


def test_version_mismatch(client, dev, wheel, blob_dir):
    response = post(client, wheel, version="2.0")
    assert_error(
        response, 400, "filename 'pkg-1.0-py3-none-any.whl' does not contain version '2.0'"
    )
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metadata_name": "other"}, "METADATA names project 'other'"),
        ({"metadata_version": "9.9"}, "METADATA has version '9.9', the filename '1.0'"),
    ],
)
def test_wheel_metadata_disagrees(client, dev, tmp_path, blob_dir, kwargs, message):
    wheel = make_wheel(tmp_path, "pkg", "1.0", **kwargs)
    assert_error(post(client, wheel), 400, message)
    assert_nothing_stored(blob_dir)


def test_sdist_pkg_info_disagrees(client, dev, tmp_path, blob_dir):
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    response = post(
        client, None, content=sdist.read_bytes(), filename="pkg-1.1.tar.gz", version="1.1"
    )
    assert_error(response, 400, "PKG-INFO has version '1.0', the filename '1.1'")
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("pkg-1.0-py3-none-any.whl", "is not a valid wheel"),
        ("pkg-1.0.tar.gz", "is not a valid tar archive"),
        ("pkg-1.0.zip", "is not a valid zip archive"),
    ],
)
def test_corrupt_archive(client, dev, blob_dir, filename, message):
    response = post(client, None, content=b"definitely not an archive" * 20, filename=filename)
    assert_error(response, 400, f"{filename} {message}")
    assert_nothing_stored(blob_dir)


def test_truncated_wheel(client, dev, wheel, blob_dir):
    data = wheel.read_bytes()
    response = post(client, None, content=data[: len(data) // 2], filename=wheel.name)
    assert_error(response, 400, "is not a valid wheel")
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize("field", ["sha256_digest", "blake2_256_digest", "md5_digest"])
def test_digest_mismatch(client, dev, wheel, blob_dir, field):
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    wrong = wrong[:32] if field == "md5_digest" else wrong
    response = post(client, wheel, extra=[(field, wrong)])
    assert_error(response, 400, f"{field} does not match the uploaded content")
    assert_nothing_stored(blob_dir)


def test_empty_file(client, dev, blob_dir):
    response = post(client, None, content=b"", filename="pkg-1.0.tar.gz")
    assert_error(response, 400, "uploaded file is empty")
    assert_nothing_stored(blob_dir)


def test_file_over_the_upload_limit(client, settings, dev, wheel, blob_dir):
    settings.DEVPI = {**settings.DEVPI, "MAX_UPLOAD_BYTES": 100}
    size = wheel.stat().st_size
    response = post(client, wheel)
    assert_error(response, 413, f"file of {size} bytes is larger than the limit of 100 bytes")
    assert_nothing_stored(blob_dir)


def test_request_over_the_upload_limit(client, settings, dev, blob_dir):
    settings.DEVPI = {**settings.DEVPI, "MAX_UPLOAD_BYTES": 100}
    response = post(client, None, content=b"x" * (1024 * 1024 + 500), filename="pkg-1.0.tar.gz")
    assert_error(response, 413, "is larger than the limit of 100 bytes")
    assert_nothing_stored(blob_dir)


def test_missing_action(client, dev, wheel, blob_dir):
    assert_error(post(client, wheel, action=None), 400, ":action field not found")
    assert_nothing_stored(blob_dir)


def test_unknown_action(client, dev, wheel, blob_dir):
    assert_error(post(client, wheel, action="frobnicate"), 400, "action 'frobnicate' not supported")
    assert_nothing_stored(blob_dir)


def test_missing_content(client, dev, blob_dir):
    assert_error(post(client, None), 400, "content file field not found")
    assert_nothing_stored(blob_dir)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": None}, "missing 'name' field"),
        ({"name": "bad name!"}, "invalid project name 'bad name!'"),
        ({"version": None}, "missing 'version' field"),
        ({"version": "1.0 beta"}, "invalid version '1.0 beta'"),
    ],
)
def test_missing_or_bad_name_and_version(client, dev, wheel, blob_dir, fields, message):
    kwargs = {"name": "pkg", "version": "1.0", **fields}
    response = upload(client, URL, wheel, headers=basic("alice"), **kwargs)
    assert_error(response, 400, message)
    assert_nothing_stored(blob_dir)


def test_anonymous_upload_is_challenged(client, dev, wheel, blob_dir):
    response = post(client, wheel, auth=None)
    assert_error(response, 401, "Unauthorized")  # devpi's bare 401
    assert response["WWW-Authenticate"] == 'Basic realm="devpi"'
    assert_nothing_stored(blob_dir)


def test_wrong_password_is_challenged(client, dev, wheel, blob_dir):
    response = post(client, wheel, auth=("alice", "wrong"))
    assert_error(response, 401, "Unauthorized")
    assert response["WWW-Authenticate"].startswith("Basic")
    assert_nothing_stored(blob_dir)


def test_user_not_in_acl(client, dev, bob, wheel, blob_dir):
    response = post(client, wheel, auth=("bob", "pw"))
    assert_error(response, 403, "no permission to submit")
    assert "WWW-Authenticate" not in response
    assert_nothing_stored(blob_dir)


def test_upload_to_a_mirror(client, root, wheel, blob_dir):
    mirror_index(root)
    response = post(client, wheel, url="/root/pypi/", auth=("root", "rootpw"))
    assert_error(response, 404, "cannot submit to mirror index")
    assert_nothing_stored(blob_dir)


def test_upload_to_a_missing_index(client, alice, wheel, blob_dir):
    response = post(client, wheel, url="/alice/nothing/")
    assert_error(response, 404, "The stage alice/nothing could not be found.")
    assert_nothing_stored(blob_dir)


def test_json_error_for_json_clients(client, dev, wheel, blob_dir):
    response = post(client, wheel, version="2.0", headers={**basic("alice"), "HTTP_ACCEPT": JSON})
    assert response.status_code == 400
    assert response["Content-Type"] == JSON
    assert "does not contain version '2.0'" in json.loads(response.content)["message"]
    assert response.reason_phrase == "Bad Request"
    assert_nothing_stored(blob_dir)


# -- re-uploads ----------------------------------------------------------------------------------


def test_non_volatile_refuses_other_bytes(client, prod, tmp_path, blob_dir):
    first = make_wheel(tmp_path / "a", "pkg", "1.0", payload="X = 1\n")
    second = make_wheel(tmp_path / "b", "pkg", "1.0", payload="X = 2\n")
    assert first.read_bytes() != second.read_bytes()
    assert post(client, first, url="/alice/prod/").status_code == 200
    old = ReleaseFile.objects.get()
    blobs = blob_files(blob_dir)
    response = post(client, second, url="/alice/prod/")
    assert_error(response, 409, "pkg-1.0-py3-none-any.whl already exists in non-volatile index")
    file = ReleaseFile.objects.get()
    assert file.sha256 == old.sha256 and file.log == old.log
    assert blob_files(blob_dir) == blobs
    assert served(client, file) == first.read_bytes()


def test_non_volatile_identical_bytes_is_a_no_op(client, prod, wheel, blob_dir):
    assert post(client, wheel, url="/alice/prod/").status_code == 200
    old = ReleaseFile.objects.get()
    response = post(client, wheel, url="/alice/prod/")
    assert response.status_code == 200
    file = ReleaseFile.objects.get()
    assert (file.pk, file.sha256, file.uploaded_at, file.log) == (
        old.pk,
        old.sha256,
        old.uploaded_at,
        old.log,
    )
    assert len(blob_files(blob_dir)) == 1


def test_non_volatile_allows_new_files_of_an_existing_version(client, prod, wheel, tmp_path):
    assert post(client, wheel, url="/alice/prod/").status_code == 200
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    assert post(client, sdist, url="/alice/prod/").status_code == 200
    assert ReleaseFile.objects.count() == 2


def test_volatile_reupload_replaces(client, dev, tmp_path, blob_dir):
    first = make_wheel(tmp_path / "a", "pkg", "1.0", payload="X = 1\n")
    second = make_wheel(tmp_path / "b", "pkg", "1.0", payload="X = 2\n")
    assert post(client, first).status_code == 200
    old = ReleaseFile.objects.get()
    assert post(client, second).status_code == 200
    file = ReleaseFile.objects.get()
    assert file.pk == old.pk
    assert file.sha256 == hashlib.sha256(second.read_bytes()).hexdigest() != old.sha256
    assert served(client, file) == second.read_bytes()
    assert client.get(f"/alice/dev/+f/{old.hash_path}").status_code in (404, 410)
    simple = client.get(
        "/alice/dev/+simple/pkg/", HTTP_ACCEPT="application/vnd.pypi.simple.v1+json"
    ).json()
    assert [f["hashes"]["sha256"] for f in simple["files"]] == [file.sha256]


def test_same_file_on_two_indexes_shares_one_blob(client, dev, alice, wheel, blob_dir):
    stage(alice, "other")
    assert post(client, wheel).status_code == 200
    assert post(client, wheel, url="/alice/other/").status_code == 200
    assert ReleaseFile.objects.count() == 2
    assert len(blob_files(blob_dir)) == 1


def test_basic_auth_with_a_token(client, dev, wheel):
    token = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "pw"}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    ).json()["result"]["password"]
    assert post(client, wheel, auth=("alice", token)).status_code == 200


def test_upload_bumps_the_serial(client, dev, wheel):
    before = int(client.get("/+api")["X-Devpi-Serial"])
    assert post(client, wheel).status_code == 200
    assert int(client.get("/+api")["X-Devpi-Serial"]) > before
