"""The seed's release steps with the real devpi-client 7 (and its tox):
``devpi upload`` of files and docs, ``devpi test``, ``devpi list -t``,
``devpi push`` to a non-volatile index and to an external index
(``pypi:NAME`` from ~/.pypirc: a second devpi-django server)."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests

from .test_devpi_client import FAILING, PASSING, project

pytestmark = [pytest.mark.live, pytest.mark.slow_client]


def write_doczip(path, text: str):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", f"<html><body>{text}</body></html>")
    return path


def test_upload_test_push_list(
    live_server_proc,
    other_server,
    devpi,
    tmp_path,
    unique,
):
    s, o = live_server_proc, other_server
    user, name = f"rel{unique}", f"relflow{unique}"
    devpi("use", s.url)
    devpi("user", "-c", user, "password=secret")
    devpi("login", user, "--password=secret")
    devpi("index", "-c", "dev")
    devpi("index", "-c", "staging", "volatile=False")
    devpi("use", f"{user}/dev")
    tree = project(tmp_path, name, "1.0", PASSING)
    assert devpi("upload", "--no-isolation", cwd=tree).stdout.count("file_upload of") == 2
    docs = write_doczip(tmp_path / f"{name}-1.0.doc.zip", "relflow docs")
    assert "doc_upload of" in devpi("upload", docs).stdout

    # devpi test runs tox on the wheel and posts its report
    tested = devpi("test", "--select", r"\.whl$", name)
    assert "posting tox result data" in tested.stdout, tested.stdout + tested.stderr
    listed = devpi("list", "-t", name).stdout
    assert "tests passed" in listed, listed
    assert any(
        line.split()[2:3] == ["py"] for line in listed.splitlines() if "tests passed" in line
    )

    # push to the non-volatile staging index: files, tox result, docs
    pushed = devpi("push", f"{name}==1.0", f"{user}/staging").stdout
    assert f"200 register {name} 1.0 -> {user}/staging" in pushed
    assert pushed.count("200 store_releasefile") == 2
    assert pushed.count("200 store_toxresult") == 1
    assert "200 store_doczip" in pushed
    devpi("use", f"{user}/staging")
    staged = devpi("list", "-t", name).stdout
    assert f"{s.url}/{user}/staging/+f/" in staged and "tests passed" in staged, staged
    page = requests.get(f"{s.url}/{user}/staging/{name}/1.0/+doc/index.html", timeout=30)
    assert page.status_code == 200 and "relflow docs" in page.text
    devpi("use", f"{user}/dev")
    again = devpi("push", f"{name}==1.0", f"{user}/staging", check=False)
    assert again.returncode != 0
    assert "already exists in non-volatile index" in again.stdout + again.stderr
    # --no-docs and --only-docs reach the server (they need its push-*-docs features)
    devpi("index", "-c", "docs")
    only = devpi("push", "--only-docs", f"{name}==1.0", f"{user}/docs").stdout
    assert "store_doczip" in only and "store_releasefile" not in only

    # a failing test run is listed as such
    tree2 = project(tmp_path, name, "2.0", FAILING)
    devpi("upload", "--no-isolation", cwd=tree2)
    failed = devpi("test", "--select", r"\.whl$", f"{name}==2.0", check=False)
    assert failed.returncode != 0
    assert "tests failed" in devpi("list", "-t", f"{name}==2.0").stdout

    # push to an external index through ~/.pypirc
    o.create_user(user, "other-secret")
    o.create_index(user, "ext", "other-secret")
    home = devpi.env["HOME"]
    with open(f"{home}/.pypirc", "w") as fh:
        fh.write(
            f"[distutils]\nindex-servers =\n    other\n\n[other]\n"
            f"repository = {o.url}/{user}/ext/\nusername = {user}\n"
            f"password = other-secret\n"
        )
    external = devpi("push", f"{name}==1.0", "pypi:other").stdout
    assert external.count("200 upload") == 2, external
    there = o.api("GET", f"/{user}/ext/{name}/1.0").json()["result"]["+links"]
    assert len([link for link in there if link["rel"] == "releasefile"]) == 2
    with open(f"{home}/.pypirc", "w") as fh:
        fh.write(
            f"[distutils]\nindex-servers =\n    other\n\n[other]\n"
            f"repository = {o.url}/{user}/ext/\nusername = {user}\npassword = wrong\n"
        )
    refused = devpi("push", f"{name}==1.0", "pypi:other", check=False)
    assert refused.returncode != 0
    assert "401" in refused.stdout + refused.stderr


def test_doc_zip_is_checked_before_anything_is_stored(
    live_server_proc,
    devpi,
    tmp_path,
    unique,
):
    s = live_server_proc
    user, name = f"doc{unique}", f"docpkg{unique}"
    devpi("use", s.url)
    devpi("user", "-c", user, "password=secret")
    devpi("login", user, "--password=secret")
    devpi("index", "-c", "dev")
    devpi("use", f"{user}/dev")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("/etc/evil", "x")
    evil = tmp_path / f"{name}-1.0.doc.zip"
    evil.write_bytes(buffer.getvalue())
    refused = devpi("upload", evil, check=False)
    assert refused.returncode != 0
    assert "absolute path" in refused.stdout + refused.stderr
    assert s.api("GET", f"/{user}/dev/{name}").status_code == 404
