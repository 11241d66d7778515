"""Release file names: wheels, sdists, legacy formats, and unsafe names."""

import pytest

from indexes.distribution.filenames import (
    DistFilename,
    InvalidFilename,
    check_plain_filename,
    parse_filename,
    versions_equal,
)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "Example_Pkg-1.0-py3-none-any.whl",
            DistFilename(
                "Example_Pkg-1.0-py3-none-any.whl", "bdist_wheel", "example-pkg", "1.0", "py3"
            ),
        ),
        (
            "a_b-1.0b1-cp311-cp311-manylinux_2_17_x86_64.whl",
            DistFilename(
                "a_b-1.0b1-cp311-cp311-manylinux_2_17_x86_64.whl",
                "bdist_wheel",
                "a-b",
                "1.0b1",
                "cp311",
            ),
        ),
        (
            "pkg-2.0-1-py2.py3-none-any.whl",
            DistFilename("pkg-2.0-1-py2.py3-none-any.whl", "bdist_wheel", "pkg", "2.0", "py2.py3"),
        ),
        # the version as spelled in the file name, not packaging's normal form
        (
            "pkg-01.0-py3-none-any.whl",
            DistFilename("pkg-01.0-py3-none-any.whl", "bdist_wheel", "pkg", "01.0", "py3"),
        ),
    ],
)
def test_wheels(filename, expected):
    assert parse_filename(filename) == expected


@pytest.mark.parametrize(
    ("filename", "project", "version"),
    [
        ("example-pkg-1.0.tar.gz", "example-pkg", "1.0"),
        ("Example_Pkg-1.0.zip", "example-pkg", "1.0"),
        ("pkg-1.0rc1.tar.gz", "pkg", "1.0rc1"),
        ("pkg-01.0.tar.gz", "pkg", "01.0"),
        ("pkg-1.0RC1.zip", "pkg", "1.0RC1"),
        # a name ending in a number: the version is what follows the last dash
        ("foo-1-1.0.tar.gz", "foo-1", "1.0"),
    ],
)
def test_sdists(filename, project, version):
    dist = parse_filename(filename)
    assert (dist.packagetype, dist.project, dist.version, dist.pyversion) == (
        "sdist",
        project,
        version,
        "source",
    )
    assert dist.filename == filename


@pytest.mark.parametrize(
    ("filename", "hint", "packagetype", "project", "pyversion"),
    [
        ("pkg-1.0-py2.7.egg", "1.0", "bdist_egg", "pkg", "2.7"),
        ("Some_Pkg-1.0-py3.11.egg", "1.0", "bdist_egg", "some-pkg", "3.11"),
        ("my-1pkg-1.egg", "1", "bdist_egg", "my-1pkg", "any"),
        ("pkg-1.0.linux-x86_64.tar.gz", "1.0", "bdist_dumb", "pkg", "any"),
        ("pkg-1.0.win-amd64.zip", "1.0", "bdist_dumb", "pkg", "any"),
        ("pkg-1.0.win32.exe", "1.0", "bdist_wininst", "pkg", "any"),
        ("pkg-1.0.win-amd64-py3.8.exe", "1.0", "bdist_wininst", "pkg", "3.8"),
        ("pkg-1.0.win32.msi", "1.0", "bdist_msi", "pkg", "any"),
        ("pkg-1.0-1.noarch.rpm", "1.0", "bdist_rpm", "pkg", "any"),
        ("foo-bar-2.0.tar.bz2", "2.0", "sdist", "foo-bar", "source"),
        ("pkg-1.0-beta.tar.gz", "1.0-beta", "sdist", "pkg", "source"),
    ],
)
def test_legacy_formats_need_the_version(filename, hint, packagetype, project, pyversion):
    dist = parse_filename(filename, version_hint=hint)
    assert dist == DistFilename(filename, packagetype, project, hint, pyversion)
    if not filename.endswith((".tar.gz", ".zip")) or packagetype == "bdist_dumb":
        with pytest.raises(InvalidFilename, match="cannot determine the version"):
            parse_filename(filename)


@pytest.mark.parametrize(
    ("filename", "hint"),
    [
        ("pkg-1.0-py2.7.egg", "2.0"),
        ("pkg-1.0.linux-x86_64.tar.gz", "1"),  # "1.0" is not version "1"
        ("pkg-1.0.win32.exe", "1.0.1"),
        ("pkg-10-py2.7.egg", "1"),
        ("1.0-py2.7.egg", "1.0"),  # no project name before the version
    ],
)
def test_legacy_name_without_the_version(filename, hint):
    with pytest.raises(InvalidFilename, match="does not contain version"):
        parse_filename(filename, version_hint=hint)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("pkg.whl", "invalid wheel filename"),
        ("pkg-1.0-py3-none.whl", "invalid wheel filename"),
        ("pkg-1.0-py3-none-any-extra-x.whl", "invalid wheel filename"),
        ("pkg-1.0.txt", "unsupported file type"),
        ("pkg-1.0.tar", "cannot determine the version"),
        ("pkg-1.0", "unsupported file type"),
        ("README", "unsupported file type"),
    ],
)
def test_bad_names(filename, message):
    with pytest.raises(InvalidFilename, match=message):
        parse_filename(filename)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("../x-1.0.tar.gz", "path components"),
        ("a/b-1.0.tar.gz", "path components"),
        ("/etc/x-1.0.tar.gz", "path components"),
        ("a\\b-1.0.tar.gz", "path components"),
        ("..\\x-1.0.tar.gz", "path components"),
        (".hidden-1.0.tar.gz", "path components"),
        ("x\x00-1.0.tar.gz", "path components"),
        ("x\n-1.0.tar.gz", "control characters"),
        ("x\r-1.0.tar.gz", "control characters"),
        ("", "invalid filename"),
        (".", "invalid filename"),
        ("..", "invalid filename"),
        ("x" * 250 + "-1.0.tar.gz", "invalid filename"),
    ],
)
def test_unsafe_names(filename, message):
    with pytest.raises(InvalidFilename, match=message):
        check_plain_filename(filename)
    with pytest.raises(InvalidFilename, match=message):
        parse_filename(filename, version_hint="1.0")


def test_plain_names_pass():
    for name in ("pkg-1.0.tar.gz", "Pkg_Name-1.0-py3-none-any.whl", "a" * 255):
        check_plain_filename(name)  # no exception


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("1.0", "1.0", True),
        ("1.0", "1.0.0", True),
        ("01.0", "1.0", True),
        ("1.0RC1", "1.0rc1", True),
        ("1.0", "1.1", False),
        ("1.0-beta", "1.0b0", True),
        ("1.0.x", "1.0.x", True),  # not PEP 440, equal as text
        ("1.0.x", "1.0.y", False),  # not PEP 440 and different text
        ("foo", "1.0", False),
    ],
)
def test_versions_equal(a, b, equal):
    assert versions_equal(a, b) is equal
    assert versions_equal(b, a) is equal
