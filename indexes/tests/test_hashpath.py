"""A stored file's ``+f`` identity: built and read back by one module."""

import pytest

from indexes.distribution.hashpath import (
    HashPath,
    file_path,
    hash_path,
    parse_hash_path,
    split_file_url,
)

SHA = "0123456789abcdef" + "f" * 48


def test_built_from_the_digest_and_the_name():
    assert hash_path(SHA, "pkg-1.0.tar.gz") == "012/3456789abcdef/pkg-1.0.tar.gz"
    assert file_path("alice/dev", SHA, "pkg-1.0.tar.gz") == (
        "alice/dev/+f/012/3456789abcdef/pkg-1.0.tar.gz"
    )


def test_read_back():
    assert parse_hash_path(hash_path(SHA, "x.whl")) == HashPath("0123456789abcdef", "x.whl")


@pytest.mark.parametrize(
    "path",
    [
        "",
        "x.whl",
        "012/3456789abcdef",
        "01/23456789abcdef/x.whl",
        "012/3456789abcde/x.whl",
        "012/3456789abcdef/x/y.whl",
    ],
)
def test_other_paths_are_not_hash_paths(path):
    assert parse_hash_path(path) is None


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "http://host/alice/dev/+f/012/3456789abcdef/x.whl",
            ("alice/dev", "012/3456789abcdef/x.whl"),
        ),
        ("/alice/dev/+f/012/3456789abcdef/x.whl", ("alice/dev", "012/3456789abcdef/x.whl")),
        ("alice/dev/+f/012/3456789abcdef/x.whl", None),
        ("https://files.example.invalid/x.whl", None),
    ],
)
def test_split_file_url(url, expected):
    assert split_file_url(url) == expected
