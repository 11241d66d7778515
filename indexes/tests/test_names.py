"""Project name normalisation (PEP 503) and devpi's user/index name rules."""

import pytest

from indexes.distribution.names import (
    is_valid_project_name,
    is_valid_user_or_index_name,
    normalize_name,
    split_index_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pkg", "pkg"),
        ("Pkg", "pkg"),
        ("Example_Pkg", "example-pkg"),
        ("example.pkg", "example-pkg"),
        ("Example__-._Pkg", "example-pkg"),
        ("zope.interface", "zope-interface"),
        ("A", "a"),
        ("pkg-1", "pkg-1"),
    ],
)
def test_normalize_name(name, expected):
    assert normalize_name(name) == expected


def test_normalize_name_is_idempotent():
    for name in ("Foo.Bar_baz", "a--b", "X"):
        once = normalize_name(name)
        assert normalize_name(once) == once


@pytest.mark.parametrize(
    "name", ["a", "A1", "pkg", "Example_Pkg", "zope.interface", "a-b.c_d", "1pkg", "pkg1"]
)
def test_valid_project_names(name):
    assert is_valid_project_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "-pkg", "pkg-", ".pkg", "pkg.", "_pkg", "pk g", "pkg!", "pkg/x", "pkg\n", "ünïcode", None],
)
def test_invalid_project_names(name):
    assert not is_valid_project_name(name)


@pytest.mark.parametrize("name", ["alice", "Alice", "a.b", "a-b_c", "dev", "x" * 150, "é"])
def test_valid_user_and_index_names(name):
    assert is_valid_user_or_index_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "a b", "a\tb", "a\x00b", "a\x7fb", "x" * 151]
    + [f"a{c}b" for c in "!\"#$%&'()*+,/:;<=>?[\\]^`{|}~"],
)
def test_invalid_user_and_index_names(name):
    assert not is_valid_user_or_index_name(name)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("root/pypi", ("root", "pypi")),
        (" alice/dev ", ("alice", "dev")),
        ("/alice/dev/", ("alice", "dev")),
    ],
)
def test_split_index_name(spec, expected):
    assert split_index_name(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "alice",
        "alice/dev/x",
        "alice/",
        "/dev",
        "",
        "al ice/dev",
        "alice/d+v",
        None,
        42,
        ["alice", "dev"],
    ],
)
def test_split_index_name_refuses_malformed(spec):
    assert split_index_name(spec) is None
