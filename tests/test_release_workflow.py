"""The release workflow end to end against gunicorn: twine uploads, a tox
report and a documentation zip POSTed as devpi-client posts them (requests),
a PUSH to a non-volatile index, pip installing from there, and a push to an
external index: a second devpi-django server started by the test."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import requests

from .clients import pip, twine
from .factories import make_sdist, make_wheel

pytestmark = pytest.mark.live

TOX_REPORT = (
    Path(__file__).resolve().parent.parent / "toxresults" / "tests" / "data" / "tox4_report.json"
)


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def doc_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<html><body>release docs</body></html>")
        archive.writestr("_static/basic.css", "body {}")
    return buffer.getvalue()


def push(server, source: str, body: dict, auth) -> requests.Response:
    return server.api("PUSH", f"/{source}", body, auth=auth)


def test_upload_test_document_push_install(
    live_server_proc, other_server, unique, tmp_path, clients_env
):
    s, user, name = live_server_proc, f"rel{unique}", f"relpkg-{unique}"
    s.create_user(user)
    s.create_index(user, "dev", volatile=True)
    s.create_index(user, "staging", volatile=False)
    wheel = make_wheel(tmp_path / "dist", name, "1.0")
    sdist = make_sdist(tmp_path / "dist", name, "1.0")
    twine(clients_env, f"{s.url}/{user}/dev/", [wheel, sdist], user, "secret")
    files = {
        link["href"].rsplit("/", 1)[1]: link["href"]
        for link in s.api("GET", f"/{user}/dev/{name}/1.0").json()["result"]["+links"]
    }
    wheel_href = files[wheel.name]

    # devpi test: the tox report POSTed to the release file's URL (anonymous by default)
    report = TOX_REPORT.read_bytes()
    r = requests.post(
        wheel_href,
        data=report,
        timeout=30,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "toxresultpath"
    toxpath = r.json()["result"]
    assert f"{s.url}/{toxpath}".startswith(f"{wheel_href}.toxresult-")
    assert requests.get(f"{s.url}/{toxpath}", timeout=30).content == report
    # any JSON object is a tox result (as devpi), but tox's keys must have tox's types
    broken = requests.post(
        wheel_href,
        data=b'{"host": "h", "testenvs": ["py"]}',
        timeout=30,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert broken.status_code == 400 and "testenvs" in broken.json()["message"]

    # documentation upload, as devpi-client's `devpi upload` of a .doc.zip posts it
    docs = doc_zip()
    r = requests.post(
        f"{s.url}/{user}/dev/",
        headers=basic(user, "secret"),
        timeout=30,
        data={":action": "doc_upload", "name": name, "version": "1.0"},
        files={"content": (f"{name}-1.0.doc.zip", docs)},
    )
    assert r.status_code == 200, r.text
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.html", "x")
    r = requests.post(
        f"{s.url}/{user}/dev/",
        headers=basic(user, "secret"),
        timeout=30,
        data={":action": "doc_upload", "name": name, "version": "1.0"},
        files={"content": ("evil.doc.zip", evil.getvalue())},
    )
    assert r.status_code == 400 and "escapes the documentation root" in r.reason

    # push to the non-volatile staging index
    body = {"name": name, "version": "1.0", "targetindex": f"{user}/staging"}
    r = push(s, f"{user}/dev", body, (user, "secret"))
    assert r.status_code == 200, r.text
    actions = r.json()["result"]
    assert actions[0] == [200, "register", name, "1.0", "->", f"{user}/staging"]
    assert [a[1] for a in actions[1:]] == [
        "store_releasefile",
        "store_toxresult",
        "store_releasefile",
        "store_doczip",
    ]
    assert all(f"{user}/staging/+f/" in a[2] for a in actions[1:])
    links = s.api("GET", f"/{user}/staging/{name}/1.0").json()["result"]["+links"]
    by_rel = {}
    for link in links:
        by_rel.setdefault(link["rel"], []).append(link)
    assert {link["href"].rsplit("/", 1)[1] for link in by_rel["releasefile"]} == {
        wheel.name,
        sdist.name,
    }
    (tox,) = by_rel["toxresult"]
    assert tox["for_href"] == wheel_href.replace(f"/{user}/dev/", f"/{user}/staging/")
    assert requests.get(tox["href"], timeout=30).content == report
    (doclink,) = by_rel["doczip"]
    assert requests.get(doclink["href"], timeout=30).content == docs
    page = requests.get(f"{s.url}/{user}/staging/{name}/latest/+doc/index.html", timeout=30)
    assert page.status_code == 200 and "release docs" in page.text
    # the same again: the non-volatile index refuses it
    again = push(s, f"{user}/dev", body, (user, "secret"))
    assert again.status_code == 409 and "already exists in non-volatile index" in again.text
    # anonymous push: refused with a challenge
    anonymous = s.api("PUSH", f"/{user}/dev", body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")

    # pip installs the pushed release from staging
    target = tmp_path / "site"
    pip(
        clients_env,
        "install",
        "--no-deps",
        "--target",
        target,
        "-i",
        f"{s.url}/{user}/staging/+simple/",
        f"{name}==1.0",
    )
    assert (target / name.replace("-", "_") / "__init__.py").exists()

    # push to an external index: the second server, with the legacy upload API
    o = other_server
    o.create_user(user, "other-secret")
    o.create_index(user, "ext", "other-secret", volatile=False)
    external = {
        "name": name,
        "version": "1.0",
        "posturl": f"{o.url}/{user}/ext/",
        "username": user,
        "password": "other-secret",
    }
    r = push(s, f"{user}/staging", external, (user, "secret"))
    assert r.status_code == 200, r.text
    assert [a[:2] for a in r.json()["result"]] == [
        [200, "upload"],
        [200, "upload"],
        [200, "docfile"],
    ]
    there = o.api("GET", f"/{user}/ext/{name}/1.0").json()["result"]["+links"]
    hashes = {
        link["href"].rsplit("/", 1)[1]: link["hashes"]["sha256"]
        for link in there
        if link["rel"] == "releasefile"
    }
    assert hashes == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (wheel, sdist)}
    assert any(link["rel"] == "doczip" for link in there)
    dl = tmp_path / "from-other"
    pip(
        clients_env,
        "download",
        "--no-deps",
        "-d",
        dl,
        "-i",
        f"{o.url}/{user}/ext/+simple/",
        f"{name}==1.0",
    )
    assert [p.name for p in dl.iterdir()] == [wheel.name]
    # identical bytes again are a no-op upload there, so the push succeeds again
    r = push(s, f"{user}/staging", external, (user, "secret"))
    assert r.status_code == 200, r.text
    # refusals by the external index: a 502 with the actionlog so far
    wrong = push(s, f"{user}/staging", {**external, "password": "wrong"}, (user, "secret"))
    assert wrong.status_code == 502
    assert wrong.json()["type"] == "actionlog" and wrong.json()["result"][0][0] == 401
    assert "failed: 401" in wrong.json()["message"]
    o.create_user(f"x{user}", "x")
    foreign = push(
        s,
        f"{user}/staging",
        {**external, "username": f"x{user}", "password": "x"},
        (user, "secret"),
    )
    assert foreign.status_code == 502 and "failed: 403" in foreign.json()["message"]
