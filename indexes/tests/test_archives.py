"""Archive inspection: a release file is what its name says, and digests."""

import hashlib
import io
import tarfile
import zipfile

import pytest

from indexes.distribution.archives import (
    InvalidArchive,
    compute_digests,
    inspect_archive,
    parse_core_metadata,
)
from indexes.distribution.filenames import parse_filename
from tests.factories import core_metadata, make_sdist, make_wheel


def inspect(path_or_bytes, filename=None, hint=None):
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
    else:
        data, filename = path_or_bytes.read_bytes(), filename or path_or_bytes.name
    fileobj = io.BytesIO(data)
    fileobj.seek(5)  # inspect_archive must not depend on the position
    result = inspect_archive(fileobj, parse_filename(filename, version_hint=hint))
    assert fileobj.tell() == 0  # and leaves the file rewound for storing
    return result


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], mode="w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# -- wheels -------------------------------------------------------------------------


def test_valid_wheel_returns_its_metadata(tmp_path):
    wheel = make_wheel(
        tmp_path, "Example_Pkg", "1.0", requires_python=">=3.8", requires=["attrs>=1", "idna"]
    )
    data = inspect(wheel)
    with zipfile.ZipFile(wheel) as zf:
        assert data == zf.read("example_pkg-1.0.dist-info/METADATA")
    meta = parse_core_metadata(data)
    assert meta["name"] == "Example_Pkg"
    assert meta["version"] == "1.0"
    assert meta["requires-python"] == ">=3.8"
    assert meta["requires-dist"] == ["attrs>=1", "idna"]


def test_wheel_version_compared_as_pep440(tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0", metadata_version="1.0.0")
    assert parse_core_metadata(inspect(wheel))["version"] == "1.0.0"


def test_wheel_metadata_names_another_project(tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0", metadata_name="other")
    with pytest.raises(InvalidArchive, match="names project 'other'"):
        inspect(wheel)


def test_wheel_metadata_has_another_version(tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0", metadata_version="2.0")
    with pytest.raises(InvalidArchive, match="has version '2.0', the filename '1.0'"):
        inspect(wheel)


def test_wheel_renamed_to_another_version(tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0")
    with pytest.raises(InvalidArchive, match="METADATA has version .1.0., the filename .2.0."):
        inspect(wheel.read_bytes(), "pkg-2.0-py3-none-any.whl")


def test_wheel_without_metadata():
    data = zip_bytes({"pkg/__init__.py": b"", "pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\n"})
    with pytest.raises(InvalidArchive, match="no single .dist-info/METADATA for pkg"):
        inspect(data, "pkg-1.0-py3-none-any.whl")


def test_wheel_with_metadata_without_name():
    data = zip_bytes({"pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nVersion: 1.0\n\n"})
    with pytest.raises(InvalidArchive, match="has no Name or Version"):
        inspect(data, "pkg-1.0-py3-none-any.whl")


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: b"",
        lambda data: b"this is not a zip file at all" * 10,
        lambda data: data[: len(data) // 2],
        lambda data: data[:30] + bytes(b ^ 0xFF for b in data[30:90]) + data[90:],
    ],
    ids=["empty", "garbage", "truncated", "scrambled"],
)
def test_corrupt_wheel(tmp_path, corrupt):
    data = corrupt(make_wheel(tmp_path, "pkg", "1.0").read_bytes())
    with pytest.raises(InvalidArchive, match="pkg-1.0-py3-none-any.whl is not a valid wheel"):
        inspect(data, "pkg-1.0-py3-none-any.whl")


# -- sdists ---------------------------------------------------------------------------


def test_valid_sdist_tar_gz(tmp_path):
    assert inspect(make_sdist(tmp_path, "Example_Pkg", "1.0")) is None


def test_sdist_pkg_info_names_another_project():
    data = tar_bytes(
        {"pkg-1.0/PKG-INFO": core_metadata("other", "1.0").encode(), "pkg-1.0/setup.py": b""}
    )
    with pytest.raises(InvalidArchive, match="pkg-1.0.tar.gz PKG-INFO names project 'other'"):
        inspect(data, "pkg-1.0.tar.gz")


def test_sdist_pkg_info_has_another_version(tmp_path):
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    with pytest.raises(InvalidArchive, match="PKG-INFO has version '1.0', the filename '1.1'"):
        inspect(sdist.read_bytes(), "pkg-1.1.tar.gz")


def test_sdist_zip_checks_pkg_info():
    good = zip_bytes({"pkg-1.0/PKG-INFO": core_metadata("pkg", "1.0").encode()})
    assert inspect(good, "pkg-1.0.zip") is None
    bad = zip_bytes({"pkg-1.0/PKG-INFO": core_metadata("pkg", "3.0").encode()})
    with pytest.raises(InvalidArchive, match="PKG-INFO has version '3.0'"):
        inspect(bad, "pkg-1.0.zip")


def test_sdist_without_pkg_info_is_accepted():
    # very old sdists had none; devpi accepts them
    assert inspect(tar_bytes({"pkg-1.0/setup.py": b"x"}), "pkg-1.0.tar.gz") is None


@pytest.mark.parametrize("filename", ["pkg-1.0.tar.gz", "pkg-1.0.zip"])
def test_empty_archives(filename):
    data = tar_bytes({}) if filename.endswith(".tar.gz") else zip_bytes({})
    with pytest.raises(InvalidArchive, match="is an empty archive"):
        inspect(data, filename)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: b"",
        lambda data: b"\x1f\x8b not really gzip" * 5,
        lambda data: data[: len(data) // 2],
        lambda data: data[:20] + b"\0" * 200,
    ],
    ids=["empty", "garbage", "truncated", "zeroed"],
)
def test_corrupt_sdist(tmp_path, corrupt):
    data = corrupt(make_sdist(tmp_path, "pkg", "1.0").read_bytes())
    with pytest.raises(InvalidArchive, match="pkg-1.0.tar.gz is not a valid tar archive"):
        inspect(data, "pkg-1.0.tar.gz")


def test_corrupt_zip_sdist():
    with pytest.raises(InvalidArchive, match="pkg-1.0.zip is not a valid zip archive"):
        inspect(b"PK\x03\x04 broken", "pkg-1.0.zip")


def test_other_tar_compressions():
    members = {"pkg-1.0/PKG-INFO": core_metadata("pkg", "1.0").encode()}
    assert inspect(tar_bytes(members, "w:bz2"), "pkg-1.0.tar.bz2", hint="1.0") is None
    bad = {"pkg-1.0/PKG-INFO": core_metadata("nope", "1.0").encode()}
    with pytest.raises(InvalidArchive, match="names project 'nope'"):
        inspect(tar_bytes(bad, "w:xz"), "pkg-1.0.tar.xz", hint="1.0")


# -- legacy formats -----------------------------------------------------------------


def test_egg_must_be_a_readable_zip():
    egg = zip_bytes({"EGG-INFO/PKG-INFO": core_metadata("pkg", "1.0").encode()})
    assert inspect(egg, "pkg-1.0-py3.11.egg", hint="1.0") is None
    with pytest.raises(InvalidArchive, match="not a valid zip archive"):
        inspect(b"not a zip", "pkg-1.0-py3.11.egg", hint="1.0")


def test_bdist_dumb_is_checked_for_readability_only():
    dumb = tar_bytes({"usr/lib/python3/site-packages/pkg/__init__.py": b""})
    assert inspect(dumb, "pkg-1.0.linux-x86_64.tar.gz", hint="1.0") is None
    with pytest.raises(InvalidArchive, match="not a valid tar archive"):
        inspect(b"garbage", "pkg-1.0.linux-x86_64.tar.gz", hint="1.0")


def test_windows_installers_are_not_opened():
    assert inspect(b"MZ\x90\x00 an installer", "pkg-1.0.win32.exe", hint="1.0") is None


# -- digests and metadata parsing ----------------------------------------------------


def test_compute_digests():
    data = b"some release file bytes" * 1000
    fileobj = io.BytesIO(data)
    fileobj.seek(7)
    digests = compute_digests(fileobj, chunk_size=1000)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.blake2_256 == hashlib.blake2b(data, digest_size=32).hexdigest()
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.size == len(data)
    assert fileobj.tell() == 0


def test_compute_digests_of_nothing():
    digests = compute_digests(io.BytesIO(b""))
    assert digests.size == 0
    assert digests.sha256 == hashlib.sha256(b"").hexdigest()


def test_parse_core_metadata_lists_repeated_fields():
    meta = parse_core_metadata(
        b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nClassifier: A\nClassifier: B\n"
        b"Provides-Extra: test\n\nThe description body\n"
    )
    assert meta == {
        "metadata-version": "2.1",
        "name": "pkg",
        "version": "1.0",
        "classifier": ["A", "B"],
        "provides-extra": "test",
    }
