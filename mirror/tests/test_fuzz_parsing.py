"""Property-based fuzzing (hypothesis) of the mirror's page parser: an
upstream is hostile. Whatever the body (PEP 691 JSON of any shape, HTML of
any shape, bytes), parsing raises nothing but ``MalformedPage`` and returns
well-formed links. Derandomized and bounded, as the rest of the fuzz set."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mirror.parsing import (
    SIMPLE_JSON,
    MalformedPage,
    parse_project_list,
    parse_project_page,
)

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PAGE_URLS = st.sampled_from(
    [
        "https://upstream.test/simple/demo/",
        "http://127.0.0.1:1/s/d/",
        "https://[::1]/simple/demo/",
        "file:///etc/",
        "",
        "not a url",
    ]
)
CONTENT_TYPES = st.sampled_from(
    [
        SIMPLE_JSON,
        f"{SIMPLE_JSON}; charset=utf-8",
        "text/html",
        "application/json",
        "",
        "TEXT/HTML;;;",
    ]
)
LINK_KEYS = {
    "filename": str,
    "url": str,
    "sha256": str,
    "requires_python": str,
    "yanked": bool,
    "yanked_reason": str,
    "core_metadata_sha256": str,
    "version": str,
}

TEXTS = st.sampled_from(
    [
        "demo-1.0.tar.gz",
        "demo-1.0-py3-none-any.whl",
        "../../etc/passwd",
        "..",
        ".",
        "",
        "x-1.html",
        "a/b",
        "a\\b",
        "demo-1.0.tar.gz#sha256=" + "a" * 64,
        "http://[::1",
        "http://[",
        "//evil.test/x-1.0.tar.gz",
        "javascript:alert(1)",
        "\x00",
        "%2e%2e",
        "sha256=" + "b" * 64,
        "sha256=<script>",
        "\"'><img>",
        ">=3.8",
        "\ud800",
    ]
) | st.text(max_size=30)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXTS
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=12,
)
FILE_ITEMS = st.fixed_dictionaries(
    {},
    optional={
        "filename": JSON_VALUES,
        "url": JSON_VALUES,
        "hashes": st.dictionaries(st.sampled_from(["sha256", "md5", "x"]), JSON_VALUES)
        | JSON_VALUES,
        "requires-python": JSON_VALUES,
        "yanked": JSON_VALUES,
        "core-metadata": JSON_VALUES,
        "dist-info-metadata": JSON_VALUES,
        "size": JSON_VALUES,
        "upload-time": JSON_VALUES,
    },
)
PEP691 = st.fixed_dictionaries(
    {},
    optional={
        "meta": JSON_VALUES,
        "name": JSON_VALUES,
        "files": st.lists(FILE_ITEMS | JSON_VALUES, max_size=5) | JSON_VALUES,
        "projects": st.lists(
            st.fixed_dictionaries({}, optional={"name": JSON_VALUES}) | JSON_VALUES, max_size=5
        )
        | JSON_VALUES,
    },
)


def _json_body(value) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


JSON_BODIES = st.builds(_json_body, PEP691 | JSON_VALUES) | st.sampled_from(
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"files": ' + b"[" * 50_000,
        b"\xff\xfe",
        b"",
        b'{"files": [{"filename": "a", "url": "http://[::1"}]}',
        b"NaN",
        b"1e999999",
    ]
)

ATTRIBUTES = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "href",
                "data-yanked",
                "data-requires-python",
                "data-core-metadata",
                "data-dist-info-metadata",
                "data-gpg-sig",
                "HREF",
                "x",
            ]
        ),
        st.none() | TEXTS,
    ),
    max_size=5,
)


def _anchor(attributes, text) -> str:
    parts = []
    for name, value in attributes:
        if value is None:
            parts.append(name)
        else:
            quoted = value.replace("&", "&amp;").replace('"', "&quot;")
            parts.append(f'{name}="{quoted}"')
    return f"<a {' '.join(parts)}>{text}</a>"


HTML_BODIES = st.builds(
    lambda anchors, junk: ("<html><body>" + "".join(anchors) + junk).encode(
        "utf-8", "surrogatepass"
    ),
    st.lists(st.builds(_anchor, ATTRIBUTES, TEXTS), max_size=6),
    st.sampled_from(
        [
            "",
            "</body></html>",
            "<a href='x",
            "<!--",
            "<![if",
            "<![CDATA[x",
            "&#xffffffff;",
            "&#0;",
            "<a href=x-1.0.tar.gz#sha256=zz>x",
            "<?php",
            "<!DOCTYPE",
            "</a></a>",
            "<a\x00>",
        ]
    ),
) | st.binary(max_size=300)


def check_links(links) -> None:
    assert isinstance(links, list)
    for link in links:
        assert isinstance(link, dict)
        for key, kind in LINK_KEYS.items():
            assert isinstance(link[key], kind), (key, link)
        assert link["size"] is None or isinstance(link["size"], int)
        assert link["upload_time"] is None or isinstance(link["upload_time"], str)
        filename = link["filename"]
        assert filename and filename not in (".", "..")
        assert "/" not in filename and "\\" not in filename


@FUZZ
@given(JSON_BODIES | HTML_BODIES, CONTENT_TYPES, PAGE_URLS)
# crashes found by this fuzz (each fixed in mirror/parsing.py), kept as examples
@example(b"[" * 100_000 + b"]" * 100_000, SIMPLE_JSON, "https://upstream.test/simple/demo/")
@example(b"<a href=a://[></a>", "text/html", "https://upstream.test/simple/demo/")
def test_project_page_parsing_raises_only_malformed_page(body, content_type, page_url):
    try:
        links = parse_project_page(body, content_type, page_url)
    except MalformedPage as exc:
        assert str(exc)
        return
    check_links(links)


@FUZZ
@given(JSON_BODIES | HTML_BODIES, CONTENT_TYPES)
@example(b"[" * 100_000 + b"]" * 100_000, SIMPLE_JSON)
def test_project_list_parsing_raises_only_malformed_page(body, content_type):
    try:
        names = parse_project_list(body, content_type)
    except MalformedPage as exc:
        assert str(exc)
        return
    assert isinstance(names, list) and all(isinstance(name, str) for name in names)
