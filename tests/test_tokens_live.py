"""Scoped API tokens and the audit trail against a running server, with the
real clients: twine and uv publish with tokens in and out of scope,
read-only, revoked and expired; pip and uv with a token as credentials;
devpi-client logging in with a token; each action in the audit trail with
its who and target."""

from __future__ import annotations

import sys
import time

import pytest
import requests

from .clients import run, twine
from .clientvenv import DEVPI_CLIENT_REQUIREMENTS, client_venv
from .factories import make_sdist, make_wheel
from .live import ROOT_PASSWORD

pytestmark = pytest.mark.live

PY = sys.executable


def uv_publish(env, url, files, user, password, check=True):
    return run(
        [
            PY,
            "-m",
            "uv",
            "publish",
            "--publish-url",
            url,
            "--username",
            user,
            "--password",
            password,
            *files,
        ],
        env,
        check=check,
    )


@pytest.fixture
def owner(live_server_proc, unique):
    s = live_server_proc
    user = f"tok{unique}"
    s.create_user(user)
    s.create_index(user, "dev", acl_upload=[user])
    s.create_index(user, "prod", acl_upload=[user])
    return user


def create_token(s, user, **data):
    r = s.api("POST", f"/{user}/+tokens", data, auth=(user, "secret"))
    assert r.status_code == 201, r.text
    return r.json()["result"]


def files_on(s, user, index, project):
    r = s.api("GET", f"/{user}/{index}/{project}")
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    return sorted(
        link["href"].rsplit("/", 1)[1]
        for version in r.json()["result"].values()
        for link in version.get("+links", [])
        if link.get("rel") == "releasefile"
    )


def audit(s, user, index, **params):
    r = requests.get(
        f"{s.url}/{user}/{index}/+audit",
        params=params,
        timeout=30,
        headers={"Accept": "application/json", **s.auth_headers(user, "secret")},
    )
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_twine_and_uv_publish_with_tokens(live_server_proc, owner, unique, tmp_path, clients_env):
    s, name = live_server_proc, f"tokpkg-{unique}"
    wheel = make_wheel(tmp_path / "w", name, "1.0")
    sdist = make_sdist(tmp_path / "s", name, "1.0")
    dev_url = f"{s.url}/{owner}/dev/"
    upload_dev = create_token(
        s, owner, description="ci", scopes=["upload"], indexes=[f"{owner}/dev"]
    )
    read_only = create_token(s, owner, scopes=["read"])
    revoked = create_token(s, owner, scopes=["upload"])
    expiring = create_token(s, owner, scopes=["upload"], expires=1)
    assert (
        requests.delete(
            f"{s.url}/{owner}/+tokens/{revoked['id']}",
            timeout=30,
            headers=s.auth_headers(owner, "secret"),
        ).status_code
        == 200
    )

    # in scope: twine with __token__, uv publish with the owner's name
    twine(clients_env, dev_url, [wheel], "__token__", upload_dev["token"])
    uv_publish(clients_env, dev_url, [sdist], owner, upload_dev["token"])
    assert files_on(s, owner, "dev", name) == sorted([wheel.name, sdist.name])

    # out of scope (another index), read-only, revoked, expired: refused, nothing stored
    other = make_wheel(tmp_path / "o", name, "2.0")
    time.sleep(1.5)  # let the one-second token expire
    for url, token, status in (
        (f"{s.url}/{owner}/prod/", upload_dev["token"], "403"),
        (dev_url, read_only["token"], "403"),
        (dev_url, revoked["token"], "401"),
        (dev_url, expiring["token"], "401"),
    ):
        refused = twine(clients_env, url, [other], "__token__", token, check=False)
        assert refused.returncode != 0
        assert status in refused.stdout + refused.stderr, refused.stdout + refused.stderr
        published = uv_publish(clients_env, url, [other], owner, token, check=False)
        assert published.returncode != 0, published.stdout + published.stderr
    assert files_on(s, owner, "prod", name) == []
    assert files_on(s, owner, "dev", name) == sorted([wheel.name, sdist.name])

    # the audit trail names who uploaded, through which token, and what
    uploads = audit(s, owner, "dev", action="file.upload")
    assert {e["target"].rsplit("/", 1)[1] for e in uploads} == {wheel.name, sdist.name}
    assert {(e["user"], e["via"]) for e in uploads} == {(owner, f"token:{upload_dev['id']}")}
    assert all(e["address"] == "127.0.0.1" for e in uploads)
    r = requests.get(
        f"{s.url}/+audit",
        params={"action": "login.failure"},
        timeout=30,
        headers={"Accept": "application/json", **s.auth_headers("root", ROOT_PASSWORD)},
    )
    failures = [e for e in r.json()["result"] if e["target"] in (owner, "__token__")]
    assert len(failures) >= 4  # twine and uv with the revoked and the expired token
    assert all(e["user"] == ":ANONYMOUS:" and e["via"] == "token" for e in failures)
    listed = s.api("GET", f"/{owner}/+tokens", auth=(owner, "secret")).json()["result"]
    assert {t["id"]: t["state"] for t in listed} == {
        upload_dev["id"]: "active",
        read_only["id"]: "active",
        revoked["id"]: "revoked",
        expiring["id"]: "expired",
    }
    assert all("token" not in t for t in listed)


def test_pip_and_uv_install_with_a_token_as_credentials(
    live_server_proc, owner, unique, tmp_path, clients_env
):
    s, name = live_server_proc, f"tokread-{unique}"
    wheel = make_wheel(tmp_path / "w", name, "1.0")
    uploader = create_token(s, owner, scopes=["upload"], indexes=[f"{owner}/dev"])
    twine(clients_env, f"{s.url}/{owner}/dev/", [wheel], owner, uploader["token"])
    reader = create_token(s, owner, scopes=["read"], indexes=[f"{owner}/dev"])
    host = s.url.split("://", 1)[1]
    index = f"http://__token__:{reader['token']}@{host}/{owner}/dev/+simple/"
    got = run(
        [
            PY,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            tmp_path / "pip",
            "-i",
            index,
            f"{name}==1.0",
        ],
        clients_env,
    )
    assert "Successfully downloaded" in got.stdout
    assert (tmp_path / "pip" / wheel.name).read_bytes() == wheel.read_bytes()
    target = tmp_path / "venv"
    run([PY, "-m", "venv", "--without-pip", target], clients_env)
    run(
        [
            PY,
            "-m",
            "uv",
            "pip",
            "install",
            "--python",
            target / "bin" / "python",
            "--index-url",
            f"http://{owner}:{reader['token']}@{host}/{owner}/dev",
            name,
        ],
        clients_env,
    )
    out = run(
        [target / "bin" / "python", "-c", f"import {name.replace('-', '_')} as m; print(m.X)"],
        clients_env,
    )
    assert out.stdout.strip() == "1"
    # reads are never audited: only the upload (and the token creations) are there
    actions = [e["action"] for e in audit(s, owner, "dev")]
    assert actions.count("file.upload") == 1 and "login.success" not in actions


def test_bad_token_requests_change_nothing(live_server_proc, owner, unique):
    s = live_server_proc
    other = f"tokother{unique}"
    s.create_user(other)
    before = s.api("GET", f"/{owner}/+tokens", auth=(owner, "secret")).json()["result"]
    for body, status, message in (
        ({"scopes": ["read", "delete"]}, 400, "unknown scope 'delete'"),
        ({"scopes": []}, 400, "non-empty list"),
        ({"scopes": ["upload"], "expires": -1}, 400, "'expires' must be between"),
        ({"scopes": ["upload"], "indexes": [f"{owner}/nope"]}, 400, "does not exist"),
    ):
        r = s.api("POST", f"/{owner}/+tokens", body, auth=(owner, "secret"))
        assert r.status_code == status and message in r.json()["message"], r.text
    r = s.api("POST", f"/{owner}/+tokens", {"scopes": ["read"]}, auth=(other, "secret"))
    assert r.status_code == 403, r.text
    assert s.api("GET", f"/{owner}/+tokens", auth=(other, "secret")).status_code == 403
    r = s.api("POST", f"/{owner}/+tokens", {"scopes": ["read"]})
    assert r.status_code == 403, r.text  # anonymous: refused as devpi refuses changes
    after = s.api("GET", f"/{owner}/+tokens", auth=(owner, "secret")).json()["result"]
    assert after == before
    assert not [e for e in audit(s, owner, "dev") if e["action"] == "token.create"]


def test_every_action_in_the_audit_trail(live_server_proc, unique, tmp_path, clients_env):
    """User, index, upload, docs-free push, yank, remove, tox result, tokens and
    logins over HTTP: each event with who and target, newest first."""
    s = live_server_proc
    user = f"aud{unique}"
    s.create_user(user)
    s.create_index(user, "dev")
    s.create_index(user, "prod")
    assert s.api("PATCH", f"/{user}", {"title": "T"}, auth=(user, "secret")).status_code == 200
    assert (
        s.api("PATCH", f"/{user}/dev", ["acl_upload+=root"], auth=(user, "secret")).status_code
        == 200
    )
    name = f"audpkg-{unique}"
    wheel = make_wheel(tmp_path, name, "1.0")
    twine(clients_env, f"{s.url}/{user}/dev/", [wheel], user, "secret")
    push = s.api(
        "POST",
        f"/{user}/dev",
        {"name": name, "version": "1.0", "targetindex": f"{user}/prod"},
        auth=(user, "secret"),
    )
    assert push.status_code == 200, push.text
    assert (
        s.api(
            "PATCH", f"/{user}/prod/{name}/1.0", {"yanked": "bad"}, auth=(user, "secret")
        ).status_code
        == 200
    )
    assert s.api("DELETE", f"/{user}/prod/{name}/1.0", auth=(user, "secret")).status_code == 200
    bad = requests.post(f"{s.url}/+login", json={"user": user, "password": "nope"}, timeout=30)
    assert bad.status_code == 401
    assert s.api("DELETE", f"/{user}/prod", auth=(user, "secret")).status_code == 201
    root_auth = {"Accept": "application/json", **s.auth_headers("root", ROOT_PASSWORD)}
    r = requests.get(f"{s.url}/+audit", params={"size": 200}, headers=root_auth, timeout=30)
    mine = [
        e
        for e in r.json()["result"]
        if e["user"] == user or e["target"].startswith((user, f"{user}/"))
    ]
    seen = {(e["action"], e["user"], e["target"]) for e in mine}
    for expected in (
        ("user.create", ":ANONYMOUS:", user),
        ("user.modify", user, user),
        ("index.create", user, f"{user}/dev"),
        ("index.modify", user, f"{user}/dev"),
        ("release.push", user, f"{user}/prod/{name}/1.0"),
        ("release.yank", user, f"{user}/prod/{name}/1.0"),
        ("release.remove", user, f"{user}/prod/{name}/1.0"),
        ("login.failure", ":ANONYMOUS:", user),
        ("login.success", user, user),
        ("index.delete", user, f"{user}/prod"),
    ):
        assert expected in seen, (expected, sorted(seen))
    assert any(a == "file.upload" and t.startswith(f"{user}/dev/+f/") for a, _u, t in seen)
    ids = [e["id"] for e in r.json()["result"]]
    assert ids == sorted(ids, reverse=True)
    page = requests.get(
        f"{s.url}/+audit",
        headers=root_auth,
        timeout=30,
        params={"user": user, "action": "index.create"},
    ).json()["result"]
    assert [e["target"] for e in page] == [f"{user}/prod", f"{user}/dev"]
    # the owner reads their index's trail, others may not
    assert (
        requests.get(
            f"{s.url}/{user}/dev/+audit", timeout=30, headers={"Accept": "application/json"}
        ).status_code
        == 401
    )
    assert (
        requests.get(
            f"{s.url}/+audit",
            timeout=30,
            headers={"Accept": "application/json", **s.auth_headers(user, "secret")},
        ).status_code
        == 403
    )


@pytest.mark.slow_client
def test_devpi_client_login_and_upload_with_a_token(live_server_proc, owner, unique, tmp_path):
    from .live import client_env

    s = live_server_proc
    bin_dir = client_venv("devpi-client", DEVPI_CLIENT_REQUIREMENTS)
    env = client_env(tmp_path / "home")
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    token = create_token(s, owner, scopes=["upload"], indexes=[f"{owner}/dev"])

    def devpi(*args, check=True):
        return run([bin_dir / "devpi", *args], env, check=check)

    devpi("use", f"{s.url}/{owner}/dev")
    out = devpi("login", owner, f"--password={token['token']}").stdout
    assert f"logged in '{owner}'" in out
    wheel = make_wheel(tmp_path / "w", f"devpitok-{unique}", "1.0")
    devpi("upload", wheel)
    assert files_on(s, owner, "dev", f"devpitok-{unique}") == [wheel.name]
    # the token does not manage indexes
    refused = devpi("index", "-c", "other", check=False)
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr
    uploads = audit(s, owner, "dev", action="file.upload")
    assert uploads[0]["via"] == f"token:{token['id']}"
