"""End to end with the real clients: build, twine, pip and uv against a
running devpi-django (gunicorn), at devpi's URLs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from .clients import pip, run, twine, uv_install
from .factories import make_project_tree, make_wheel

pytestmark = pytest.mark.live

PY = sys.executable


def venv(tmp_path: Path, env) -> Path:
    target = tmp_path / "venv"
    run([PY, "-m", "venv", "--without-pip", target], env)
    return target / "bin" / "python"


@pytest.fixture
def team(live_server_proc, unique):
    """The seed's layout: <user>/stable (non-volatile) <- <user>/staging."""
    s = live_server_proc
    user = f"packages{unique}"
    s.create_user(user)
    s.create_index(user, "stable", bases="root/pypi", volatile=False)
    s.create_index(user, "staging", bases=f"{user}/stable", volatile=True)
    return user


def test_build_twine_pip_uv(live_server_proc, team, unique, tmp_path, clients_env):
    s, name = live_server_proc, f"demo-{unique}"
    tree = make_project_tree(tmp_path, name, "1.0")
    run([PY, "-m", "build", "--no-isolation", "--outdir", tmp_path / "dist", tree], clients_env)
    files = sorted((tmp_path / "dist").iterdir(), key=lambda p: p.suffix)
    assert [f.suffix for f in files] == [".gz", ".whl"]
    twine(clients_env, f"{s.url}/{team}/stable/", files, team, "secret")

    # pip from +simple/ into a fresh venv, and pip.conf pointing at the plain index URL
    python = venv(tmp_path, clients_env)
    pip(clients_env, "--python", python, "install", "-i", f"{s.url}/{team}/staging/+simple/", name)
    out = run(
        [python, "-c", f"import {name.replace('-', '_')} as m; print(m.VERSION)"], clients_env
    )
    assert out.stdout.strip() == "1.0"
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {s.url}/{team}/stable\n")
    env = dict(clients_env, PIP_CONFIG_FILE=str(conf))
    got = pip(env, "download", "--no-deps", "-d", tmp_path / "dl", f"{name}==1.0")
    assert "Successfully downloaded" in got.stdout
    assert {p.name for p in (tmp_path / "dl").iterdir()} == {files[1].name}
    assert (tmp_path / "dl" / files[1].name).read_bytes() == files[1].read_bytes()

    # uv at the plain index URL (installer user agent) and at +simple/
    for index_url in (f"{s.url}/{team}/staging", f"{s.url}/{team}/staging/+simple/"):
        uv_install(clients_env, python, index_url, name)
    # the sdist, fetched from the index and built from source by pip
    pip(
        clients_env,
        "wheel",
        "--no-binary",
        ":all:",
        "--no-build-isolation",
        "--no-deps",
        "-w",
        tmp_path / "built",
        "-i",
        f"{s.url}/{team}/stable/+simple/",
        name,
    )
    assert [p.name for p in (tmp_path / "built").iterdir()] == [files[1].name]


def test_pip_takes_pep691_json_and_pep658_metadata(
    live_server_proc, team, unique, tmp_path, clients_env
):
    s, name = live_server_proc, f"meta-{unique}"
    wheel = make_wheel(tmp_path, name, "2.0", requires_python=">=3.8")
    twine(clients_env, f"{s.url}/{team}/staging/", [wheel], team, "secret")
    report = tmp_path / "report.json"
    out = pip(
        clients_env,
        "install",
        "-vv",
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        "--report",
        report,
        "-i",
        f"{s.url}/{team}/staging/+simple/",
        name,
    )
    assert "as application/vnd.pypi.simple.v1+json" in out.stdout, out.stdout[-3000:]
    import json

    data = json.loads(report.read_text())
    (item,) = data["install"]
    assert item["metadata"]["name"] == name and item["metadata"]["version"] == "2.0"
    log = s.log()
    assert f'{wheel.name}.metadata HTTP/1.1" 200' in log
    # --dry-run with PEP 658: pip read the metadata file, never the wheel
    assert f"/{wheel.name} HTTP/1.1" not in log


def test_yanked_release_skipped_by_pip(live_server_proc, team, unique, tmp_path, clients_env):
    s, name = live_server_proc, f"yank-{unique}"
    wheels = [make_wheel(tmp_path / v, name, v) for v in ("1.0", "2.0")]
    twine(clients_env, f"{s.url}/{team}/staging/", wheels, team, "secret")
    r = s.api(
        "PATCH", f"/{team}/staging/{name}/2.0", {"yanked": "broken build"}, auth=(team, "secret")
    )
    assert r.status_code == 200, r.text
    index = f"{s.url}/{team}/staging/+simple/"
    out = pip(clients_env, "download", "--no-deps", "-d", tmp_path / "a", "-i", index, name)
    assert [p.name for p in (tmp_path / "a").iterdir()] == [wheels[0].name], out.stdout
    # an exact pin still gets the yanked file, with pip's warning naming the reason
    out = pip(
        clients_env, "download", "--no-deps", "-d", tmp_path / "b", "-i", index, f"{name}==2.0"
    )
    assert [p.name for p in (tmp_path / "b").iterdir()] == [wheels[1].name]
    assert "broken build" in out.stdout + out.stderr
    # un-yank: the newest is picked again
    s.api("PATCH", f"/{team}/staging/{name}/2.0", {"yanked": False}, auth=(team, "secret"))
    pip(clients_env, "download", "--no-deps", "-d", tmp_path / "c", "-i", index, name)
    assert [p.name for p in (tmp_path / "c").iterdir()] == [wheels[1].name]


def test_seed_pypirc_and_inheritance(live_server_proc, team, unique, tmp_path, clients_env):
    """The seed's .pypirc (repository URL without a trailing slash) and the
    stable <- staging inheritance, with a newer version shadowing."""
    s, name = live_server_proc, f"inherit-{unique}"
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers =\n    devpi-stable\n    devpi-staging\n\n"
        f"[devpi-stable]\nrepository = {s.url}/{team}/stable\nusername = {team}\n"
        "password = secret\n\n"
        f"[devpi-staging]\nrepository = {s.url}/{team}/staging\nusername = {team}\n"
        "password = secret\n"
    )
    old = make_wheel(tmp_path / "old", name, "1.0")
    new = make_wheel(tmp_path / "new", name, "1.1")
    for repo, wheel in (("devpi-stable", old), ("devpi-staging", new)):
        run(
            [
                PY,
                "-m",
                "twine",
                "upload",
                "--non-interactive",
                "--disable-progress-bar",
                "--config-file",
                pypirc,
                "-r",
                repo,
                wheel,
            ],
            clients_env,
        )
    staging = f"{s.url}/{team}/staging"
    pip(clients_env, "download", "--no-deps", "-d", tmp_path / "st", "-i", staging, name)
    assert [p.name for p in (tmp_path / "st").iterdir()] == [new.name]
    pip(
        clients_env,
        "download",
        "--no-deps",
        "-d",
        tmp_path / "sb",
        "-i",
        f"{s.url}/{team}/stable",
        name,
    )
    assert [p.name for p in (tmp_path / "sb").iterdir()] == [old.name]
    # staging shows both files; the version JSON says where each lives
    page = requests.get(f"{staging}/+simple/{name}/", timeout=30).text
    assert old.name in page and new.name in page
    assert f"{team}/stable/+f/" in page and f"{team}/staging/+f/" in page
    # removing the version on the volatile staging index: stable's shows through
    r = s.api("DELETE", f"/{team}/staging/{name}/1.1", auth=(team, "secret"))
    assert r.status_code == 200, r.text
    pip(clients_env, "download", "--no-deps", "-d", tmp_path / "after", "-i", staging, name)
    assert [p.name for p in (tmp_path / "after").iterdir()] == [old.name]


def test_non_volatile_refusals_seen_by_twine(live_server_proc, team, unique, tmp_path, clients_env):
    s, name = live_server_proc, f"nonvol-{unique}"
    first = make_wheel(tmp_path / "a", name, "1.0")
    other = make_wheel(tmp_path / "b", name, "1.0", payload="X = 2\n")
    assert first.name == other.name and first.read_bytes() != other.read_bytes()
    url = f"{s.url}/{team}/stable/"
    twine(clients_env, url, [first], team, "secret")
    again = twine(clients_env, url, [first], team, "secret")  # identical bytes: a no-op
    assert again.returncode == 0
    refused = twine(clients_env, url, [other], team, "secret", check=False)
    assert refused.returncode != 0
    assert "409" in refused.stdout + refused.stderr
    assert "already exists in non-volatile index" in refused.stdout + refused.stderr
    served = requests.get(f"{s.url}/{team}/stable/+simple/{name}/", timeout=30).text
    import hashlib

    assert hashlib.sha256(first.read_bytes()).hexdigest() in served
    # removal refused on the non-volatile index, without force
    r = s.api("DELETE", f"/{team}/stable/{name}/1.0", auth=(team, "secret"))
    assert r.status_code == 403
    assert "non-volatile" in r.json()["message"]
    assert name in s.api("GET", f"/{team}/stable").json()["result"]["projects"]


def test_acl_refusals_and_grant(live_server_proc, team, unique, tmp_path, clients_env):
    s, name = live_server_proc, f"acl-{unique}"
    other = f"bob{unique}"
    s.create_user(other, "bobpw")
    wheel = make_wheel(tmp_path, name, "1.0")
    url = f"{s.url}/{team}/staging/"
    refused = twine(clients_env, url, [wheel], other, "bobpw", check=False)
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr
    wrong = twine(clients_env, url, [wheel], team, "wrong-password", check=False)
    assert wrong.returncode != 0
    assert "401" in wrong.stdout + wrong.stderr or "403" in wrong.stdout + wrong.stderr
    anonymous = requests.post(
        url,
        files={"content": (wheel.name, wheel.read_bytes())},
        data={":action": "file_upload", "name": name, "version": "1.0"},
        timeout=30,
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert name not in s.api("GET", f"/{team}/staging").json()["result"]["projects"]
    r = s.api("PATCH", f"/{team}/staging", [f"acl_upload+={other}"], auth=(team, "secret"))
    assert r.status_code == 200 and other in r.json()["result"]["acl_upload"]
    twine(clients_env, url, [wheel], other, "bobpw")
    assert wheel.name in requests.get(f"{url}+simple/{name}/", timeout=30).text
