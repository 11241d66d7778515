"""Deployment settings and hostile inputs against a real server (gunicorn,
real HTTP): look-alike names, deep JSON, groups in ACLs, credentials in a
mirror_url, descriptions rendered once, TLS settings and the secret key
file. Each attack is refused and nothing is stored."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from .factories import make_wheel
from .live import REPO, start_server

pytestmark = pytest.mark.live

MANAGE = [sys.executable, str(REPO / "manage.py")]


def users(server) -> set[str]:
    return set(server.api("GET", "/").json()["result"])


def test_look_alike_and_invisible_user_names(live_server_proc, unique):
    server = live_server_proc
    before = users(server)
    for name in ("r\u043e\u043et", "ROOT", "\uff52\uff4f\uff4f\uff54"):
        r = server.api("PUT", f"/{quote(name)}", {"password": "x"})
        assert r.status_code == 409, (name, r.text)
        assert "looks like the existing user" in r.json()["message"]
    for name in (f"a\u202e{unique}", f"a\u200b{unique}", f"a\u00a0{unique}"):
        r = server.api("PUT", f"/{quote(name)}", {"password": "x"})
        assert r.status_code == 400, (name, r.text)
    server.create_user(f"bob{unique}")
    r = server.api("PUT", f"/{quote(f'b{chr(0x43E)}b{unique}')}", {"password": "x"})
    assert r.status_code == 409
    r = server.api(
        "PUT",
        f"/bob{unique}/{quote('de' + chr(0x200B) + 'v')}",
        {},
        auth=(f"bob{unique}", "secret"),
    )
    assert r.status_code == 400
    assert users(server) == before | {f"bob{unique}"}
    assert server.api("GET", f"/bob{unique}").json()["result"]["indexes"] == {}


def test_deep_json_answers_400_and_stores_nothing(live_server_proc, unique):
    server = live_server_proc
    user = f"deep{unique}"
    server.create_user(user)
    log_start = len(server.log())  # the server is shared: only this test's lines count
    deep = "[" * 50_000 + "]" * 50_000
    for method, path in (
        ("PUT", f"/{user}/dev"),
        ("PATCH", f"/{user}"),
        ("PUT", f"/other{unique}"),
        ("POST", "/+login"),
    ):
        r = requests.request(
            method,
            f"{server.url}{path}",
            data=deep,
            timeout=30,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                **server.auth_headers(user, "secret"),
            },
        )
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        assert "nested too deep" in r.json()["message"]
    assert server.api("GET", f"/{user}").json()["result"]["indexes"] == {}
    assert f"other{unique}" not in users(server)
    assert "Traceback" not in server.log()[log_start:]


def test_a_group_named_like_a_user_is_not_that_user(live_server_proc, unique, tmp_path):
    server = live_server_proc
    alice, mallory = f"alice{unique}", f"mallory{unique}"
    server.create_user(alice)
    server.create_user(mallory)
    server.create_index(alice, "dev")  # acl_upload: [alice]
    # an administrator made a group that happens to be called like alice
    subprocess.run(
        MANAGE
        + [
            "shell",
            "-c",
            (
                "from django.contrib.auth.models import Group, User; "
                f"g = Group.objects.create(name={alice!r}); "
                f"User.objects.get(username={mallory!r}).groups.add(g)"
            ),
        ],
        env=server.env,
        cwd=REPO,
        check=True,
    )
    wheel = make_wheel(tmp_path, "grouppkg", "1.0")
    r = requests.post(
        f"{server.url}/{alice}/dev/",
        auth=(mallory, "secret"),
        data={":action": "file_upload", "name": "grouppkg", "version": "1.0"},
        files={"content": (wheel.name, wheel.read_bytes())},
        timeout=60,
    )
    assert r.status_code == 403, r.text
    r = server.api("PATCH", f"/{alice}/dev", {"acl_upload": [mallory]}, auth=(mallory, "secret"))
    assert r.status_code == 403
    config = server.api("GET", f"/{alice}/dev").json()["result"]
    assert config["acl_upload"] == [alice] and config["projects"] == []


def test_mirror_credentials_are_masked(live_server_proc, unique):
    server = live_server_proc
    owner = f"owner{unique}"
    server.create_user(owner)
    secret_url = f"http://{owner}:s3cret-{unique}@127.0.0.1:9/simple/"
    result = server.create_index(owner, "up", type="mirror", mirror_url=secret_url)
    assert result["mirror_url"] == secret_url  # the owner sees it
    # a failing fetch: its error names the upstream URL
    r = requests.get(
        f"{server.url}/{owner}/up/+simple/somepkg/",
        timeout=60,
        headers={"Accept": "application/json"},
    )
    assert r.status_code in (502, 504), r.text
    assert f"s3cret-{unique}" not in r.text + r.reason
    outputs = [
        server.api("GET", f"/{owner}/up").text,
        server.api("GET", f"/{owner}").text,
        server.api("GET", "/").text,
        server.api("GET", "/+status").text,
        requests.get(f"{server.url}/{owner}/up", timeout=30).text,
        requests.get(f"{server.url}/+status", timeout=30).text,
    ]
    server.create_user(f"other{unique}")
    outputs.append(server.api("GET", f"/{owner}/up", auth=(f"other{unique}", "secret")).text)
    for text in outputs:
        assert f"s3cret-{unique}" not in text
    assert f"{owner}:****@127.0.0.1" in outputs[0]
    assert (
        server.api("GET", f"/{owner}/up", auth=("root", "root-secret")).json()["result"][
            "mirror_url"
        ]
        == secret_url
    )
    assert f"s3cret-{unique}" not in server.log()


def test_descriptions_rendered_once_and_capped(live_server_proc, unique, tmp_path):
    """An 8 MiB reStructuredText description: rendering it whole would take
    the worker half a minute or more, on every view. It is cut to
    DEVPI_DESCRIPTION_MAX_RENDER_BYTES once, at upload, and views are
    quick."""
    server = live_server_proc
    user = f"desc{unique}"
    server.create_user(user)
    server.create_index(user, "dev")
    description = (
        "Title\n=====\n\n" + "*emphasis* and ``code`` and `link <http://x/>`_\n\n" * 180_000
    )
    assert len(description) > 8 * 1024 * 1024
    wheel = make_wheel(tmp_path, "descpkg", "1.0")
    started = time.monotonic()
    r = requests.post(
        f"{server.url}/{user}/dev/",
        auth=(user, "secret"),
        timeout=120,
        data={
            ":action": "file_upload",
            "name": "descpkg",
            "version": "1.0",
            "description": description,
            "description_content_type": "text/x-rst",
        },
        files={"content": (wheel.name, wheel.read_bytes())},
    )
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < 30
    for _ in range(4):
        started = time.monotonic()
        page = requests.get(f"{server.url}/{user}/dev/descpkg/1.0", timeout=60)
        assert page.status_code == 200
        assert time.monotonic() - started < 10
        assert "its start is shown as plain text" in page.text
        assert len(page.text) < 2 * 1024 * 1024


# -- TLS settings and the secret key file ---------------------------------------------


def _manage_env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVPI_", "DATABASE_URL"))}
    env.update(
        DEVPI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="devpi_django.settings", **extra
    )
    return env


def test_check_deploy_is_clean_with_https():
    with tempfile.TemporaryDirectory() as data_dir:
        result = subprocess.run(
            MANAGE + ["check", "--deploy", "--fail-level", "WARNING"],
            env=_manage_env(Path(data_dir), DEVPI_HTTPS="1"),
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout
        plain = subprocess.run(
            MANAGE + ["check", "--deploy"],
            env=_manage_env(Path(data_dir)),
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert "security.W004" in plain.stdout + plain.stderr  # no HSTS without DEVPI_HTTPS


def test_https_server_secure_cookies_hsts_and_proxy_header():
    server, cleanup = start_server(workers=1, extra_env={"DEVPI_HTTPS": "1"})
    try:
        secure = {"X-Forwarded-Proto": "https"}
        r = requests.get(f"{server.url}/+login", headers=secure, timeout=30)
        assert r.status_code == 200
        assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        csrf = next(c for c in r.cookies if c.name == "csrftoken")
        assert csrf.secure
        api = requests.get(
            f"{server.url}/+api", headers={**secure, "Accept": "application/json"}, timeout=30
        ).json()
        assert api["result"]["login"].startswith("https://")
        plain = requests.get(f"{server.url}/+login", allow_redirects=False, timeout=30)
        assert plain.status_code == 301
        assert plain.headers["Location"].startswith("https://")
    finally:
        cleanup()


@pytest.mark.parametrize(
    "content, mode, message",
    [
        ("", 0o600, "is empty"),
        ("a-good-long-key-" * 4, 0o644, "may be read by other users"),
    ],
)
def test_secret_key_file_is_checked(tmp_path, content, mode, message):
    key = tmp_path / "secret_key"
    key.write_text(content)
    key.chmod(mode)
    result = subprocess.run(
        MANAGE + ["check"],
        env=_manage_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr and str(key) in result.stderr
    assert "Traceback" not in result.stderr
    assert key.read_text() == content  # left as it was
