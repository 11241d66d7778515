"""devpi behaviour that devpi-client's own suite checks, driven by the real devpi-client
(7.3, in its own venv): a base's copies in ``devpi list`` (``+shadowing``), a link's
history after a push, the upload refusal after ``logoff``, docs-only uploads of a doc zip
given by path."""

from __future__ import annotations

import json

import pytest

from .factories import make_sdist

pytestmark = [pytest.mark.live, pytest.mark.slow_client]


def setup_user(devpi, url: str, user: str) -> None:
    devpi("use", url)
    devpi("user", "-c", user, "password=pw")
    devpi("login", user, "--password=pw")


def test_list_shows_the_bases_copies_and_push_keeps_history(
    live_server_proc, devpi, tmp_path, unique
):
    s = live_server_proc
    user = f"shadow{unique}"
    setup_user(devpi, s.url, user)
    devpi("index", "-c", "prod")
    devpi("index", "-c", "dev", f"bases={user}/prod")
    one = make_sdist(tmp_path / "one", "hello", "1.0")
    two = make_sdist(tmp_path / "two", "hello", "1.0", requires_python=">=3.8")
    devpi("use", f"{user}/prod")
    devpi("upload", "--from-dir", one.parent)
    devpi("use", f"{user}/dev")
    devpi("upload", "--from-dir", two.parent)
    # devpi list on dev: its own copy, and prod's, which it shadows
    listed = devpi("list", "hello").stdout.split()
    assert len(listed) == 2, listed
    assert f"/{user}/dev/+f/" in listed[0] and f"/{user}/prod/+f/" in listed[1]
    # push dev's copy over prod's: prod's link tells the story
    devpi("push", "hello==1.0", f"{user}/prod")
    data = json.loads(devpi("getjson", f"/{user}/prod/hello").stdout)["result"]
    (link,) = data["1.0"]["+links"]
    assert [(e["what"], e.get("dst")) for e in link["log"]] == [
        ("overwrite", None),
        ("upload", f"{user}/dev"),
        ("push", f"{user}/prod"),
    ]
    assert link["log"][0]["count"] == 1 and link["log"][2]["who"] == user
    assert link["log"][2]["src"] == f"{user}/dev"


def test_upload_after_logoff_says_unauthorized(live_server_proc, devpi, tmp_path, unique):
    s = live_server_proc
    user = f"logoff{unique}"
    setup_user(devpi, s.url, user)
    devpi("index", "-c", "dev")
    devpi("use", f"{user}/dev")
    sdist = make_sdist(tmp_path / "dist", "hello", "1.0")
    devpi("logoff")
    refused = devpi("upload", "--from-dir", sdist.parent, check=False)
    assert refused.returncode == 1
    assert "401 FAIL file_upload" in refused.stdout and "Unauthorized" in refused.stdout
    # logged in as somebody without the right: 403, not 401
    devpi("user", "-c", f"other{unique}", "password=pw")
    devpi("login", f"other{unique}", "--password=pw")
    forbidden = devpi("upload", "--from-dir", sdist.parent, check=False)
    assert forbidden.returncode == 1 and "403 FAIL file_upload" in forbidden.stdout


@pytest.mark.parametrize("name", ["foo-1.0.doc.zip", "foo-1.0.docs.zip"])
def test_only_docs_with_a_path_to_a_doc_zip(live_server_proc, devpi, tmp_path, unique, name):
    s = live_server_proc
    user = f"docs{unique}"
    setup_user(devpi, s.url, user)
    devpi("index", "-c", "dev")
    devpi("use", f"{user}/dev")
    (tmp_path / name).write_bytes(b"")  # what devpi-client's own test uploads
    out = devpi("upload", "--only-docs", name, cwd=tmp_path).stdout
    assert f"doc_upload of {name}" in out
    data = json.loads(devpi("getjson", f"/{user}/dev/foo/1.0").stdout)["result"]
    assert [link["rel"] for link in data["+links"]] == ["doczip"]
