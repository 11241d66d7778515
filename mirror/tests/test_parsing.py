import json

import pytest

from mirror.parsing import (
    MalformedPage, parse_project_html, parse_project_json, parse_project_list,
    parse_project_page,
)

PAGE = "https://upstream.test/simple/demo/"
SHA = "a" * 64
META = "b" * 64


def test_html_page_with_every_attribute():
    body = (
        '<html><body>'
        f'<a href="../../files/demo-1.0-py3-none-any.whl#sha256={SHA}" '
        'data-requires-python="&gt;=3.8" data-yanked="bad build" '
        f'data-core-metadata="sha256={META}">demo-1.0-py3-none-any.whl</a>'
        '<a href="https://other.test/demo-0.9.tar.gz">demo-0.9.tar.gz</a>'
        '<a href="demo-0.8.tar.gz#md5=abc" data-yanked>demo-0.8.tar.gz</a>'
        '</body></html>').encode()
    first, second, third = parse_project_html(body, PAGE)
    assert first == {
        "filename": "demo-1.0-py3-none-any.whl",
        "url": "https://upstream.test/files/demo-1.0-py3-none-any.whl",
        "sha256": SHA, "requires_python": ">=3.8", "yanked": True,
        "yanked_reason": "bad build", "core_metadata_sha256": META, "size": None,
        "upload_time": None, "version": "1.0"}
    assert second["url"] == "https://other.test/demo-0.9.tar.gz" and second["sha256"] == ""
    assert second["yanked"] is False and second["version"] == "0.9"
    assert third["yanked"] is True and third["yanked_reason"] == ""
    assert third["url"] == "https://upstream.test/simple/demo/demo-0.8.tar.gz"


def test_json_page():
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": [
        {"filename": "demo-1.0.tar.gz", "url": "../../files/demo-1.0.tar.gz",
         "hashes": {"sha256": SHA.upper()}, "requires-python": ">=3.9", "yanked": "oops",
         "core-metadata": False, "size": 12, "upload-time": "2024-01-01T00:00:00Z"},
        {"filename": "demo-1.1.tar.gz", "url": "x", "hashes": {}, "dist-info-metadata":
            {"sha256": META}},
    ]}).encode()
    first, second = parse_project_json(body, PAGE)
    assert first["sha256"] == SHA and first["yanked_reason"] == "oops" and first["size"] == 12
    assert first["core_metadata_sha256"] == "" and first["upload_time"].startswith("2024")
    assert second["core_metadata_sha256"] == META and second["yanked"] is False


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"files": 3}', b'{"files": [{"url": 1}]}'])
def test_malformed_json_refused(body):
    with pytest.raises(MalformedPage):
        parse_project_json(body, PAGE)


def test_malformed_html_refused():
    with pytest.raises(MalformedPage):
        parse_project_html(b"\x00\xff garbage", PAGE)
    with pytest.raises(MalformedPage):
        parse_project_html(b"no markup at all", PAGE)


def test_unsafe_filenames_dropped():
    body = b'<a href="../../files/..">..</a><a href="x/demo-1.0.tar.gz">ok</a>'
    assert [link["filename"] for link in parse_project_html(body, PAGE)] == ["demo-1.0.tar.gz"]


def test_dispatch_by_content_type_and_lists():
    json_list = json.dumps({"projects": [{"name": "A"}, {"name": "b"}]}).encode()
    assert parse_project_list(json_list, "application/vnd.pypi.simple.v1+json") == ["A", "b"]
    assert parse_project_list(b'<a href="a/">A</a><a href="b/">b</a>', "text/html") == ["A", "b"]
    page = parse_project_page(b'<a href="demo-1.0.zip">x</a>', "text/html; charset=utf-8", PAGE)
    assert page[0]["filename"] == "demo-1.0.zip"


def test_pip_default_index_read_from_pips_help():
    """pip's default index, from pip's public help text: an https simple URL."""
    from mirror.upstream import _pip_default_index_url

    url = _pip_default_index_url()
    assert url.startswith("https://") and url.rstrip("/").endswith("/simple")
