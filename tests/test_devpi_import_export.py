"""devpi-server's own upgrade path, end to end: the real devpi-server (in its
own venv under build/) is filled by devpi-client and twine, exported with
devpi-export and imported here with ``manage.py devpi_import``; then
devpi-django exports and a fresh devpi-server takes it with devpi-import.

Everything stays on 127.0.0.1: devpi-server is initialised with
``--no-root-pypi`` and its root/pypi mirrors a local upstream.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from .clientvenv import client_venv
from .factories import make_sdist, make_wheel
from .live import REPO, VENV_BIN, client_env, free_port, start_server
from .upstream import start_upstream

pytestmark = [pytest.mark.live, pytest.mark.slow_client]

DEVPI_SERVER_REQUIREMENTS = ["devpi-server==6.20.3", "devpi-client==7.3.0"]
JSON = {"Accept": "application/json"}
PASSWORDS = {"root": "rootpw", "packages": "pkgpw", "alice": "alice-pw", "carol": "carol-pw"}
TOX_REPORT = {
    "reportversion": "1",
    "toxversion": "4.11.0",
    "platform": "linux",
    "host": "ci-1",
    "testenvs": {
        "py311": {
            "python": {"version": "3.11.7"},
            "installed_packages": [],
            "setup": [],
            "test": [{"command": ["pytest"], "output": "1 passed", "retcode": 0}],
        }
    },
}


def sha256_of(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return hashlib.sha256(data).hexdigest()


def run(args, env, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], env=env, capture_output=True, text=True, timeout=300, **kwargs
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


class DevpiServer:
    """A real devpi-server in a subprocess (stopped by its PID)."""

    def __init__(self, bin_dir: Path, serverdir: Path, env: dict):
        self.bin_dir, self.serverdir, self.env = bin_dir, serverdir, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def tool(self, name: str, *args) -> subprocess.CompletedProcess:
        return run([self.bin_dir / name, "--serverdir", self.serverdir, *args], self.env)

    def start(self) -> None:
        self.log = open(self.serverdir.parent / f"{self.serverdir.name}.log", "wb")
        self.process = subprocess.Popen(
            [
                str(self.bin_dir / "devpi-server"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--serverdir",
                str(self.serverdir),
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/+api", headers=JSON, timeout=5).ok:
                    return
            except requests.RequestException:
                pass  # not listening yet, or still starting up
            time.sleep(0.3)
        self.stop()
        raise AssertionError("devpi-server did not start:\n" + Path(self.log.name).read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        self.process = None

    def get(self, path: str) -> dict:
        r = requests.get(f"{self.url}/{path.lstrip('/')}", headers=JSON, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()["result"]


@pytest.fixture(scope="module")
def devpi_bin():
    return client_venv("devpi-server", DEVPI_SERVER_REQUIREMENTS)


def fill_devpi_server(server: DevpiServer, upstream_url: str, env: dict, dist: Path) -> dict:
    """The seed's layout, filled as its users would: devpi-client for users
    and indexes, twine for uploads, a tox report and a doc zip over HTTP."""

    def devpi(*args):
        return run([server.bin_dir / "devpi", *args], env)

    devpi("use", server.url)
    devpi("login", "root", "--password", PASSWORDS["root"])
    devpi("index", "-c", "root/pypi", "type=mirror", f"mirror_url={upstream_url}", "volatile=False")
    devpi(
        "user", "-c", "packages", "email=packaging@company.com", f"password={PASSWORDS['packages']}"
    )
    devpi("user", "-c", "alice", "email=alice@example.com", f"password={PASSWORDS['alice']}")
    devpi("user", "-c", "carol", f"password={PASSWORDS['carol']}", "title=Carol")
    devpi("login", "packages", "--password", PASSWORDS["packages"])
    devpi(
        "index",
        "-c",
        "packages/stable",
        "bases=root/pypi",
        "volatile=False",
        "title=Our private stable packages",
    )
    devpi("index", "-c", "packages/staging", "bases=packages/stable", "volatile=True")
    devpi(
        "index",
        "-c",
        "packages/develop",
        "bases=packages/stable",
        "volatile=True",
        "acl_upload=packages,alice",
    )
    files = {
        "stable": [
            make_wheel(
                dist / "s", "simpy", "1.0", requires=["upstreamdep"], requires_python=">=3.8"
            ),
            make_sdist(dist / "s", "simpy", "1.0"),
        ],
        "staging": [make_wheel(dist / "rc", "simpy", "1.1rc1")],
        "develop": [make_wheel(dist / "d", "simpy", "1.1.dev1", requires=["upstreamdep"])],
    }
    for index, user in (("stable", "packages"), ("staging", "packages"), ("develop", "alice")):
        run(
            [
                VENV_BIN / "twine",
                "upload",
                "--non-interactive",
                "--disable-progress-bar",
                "--repository-url",
                f"{server.url}/packages/{index}/",
                "-u",
                user,
                "-p",
                PASSWORDS[user],
                *files[index],
            ],
            env,
        )
    # a tox report POSTed to the wheel's URL, as `devpi test` does
    version = server.get("/packages/stable/simpy/1.0")
    (link,) = [x for x in version["+links"] if x["href"].endswith(".whl")]
    r = requests.post(
        link["href"],
        data=json.dumps(TOX_REPORT),
        headers={**JSON, "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["type"] == "toxresultpath", r.text
    # documentation, as `devpi upload --with-docs` sends it
    docs = io.BytesIO()
    with zipfile.ZipFile(docs, "w") as zf:
        zf.writestr("index.html", "<html><body>simpy documentation</body></html>")
    r = requests.post(
        f"{server.url}/packages/stable/",
        auth=("packages", PASSWORDS["packages"]),
        data={":action": "doc_upload", "name": "simpy", "version": "1.0"},
        files={"content": ("simpy-1.0.doc.zip", docs.getvalue())},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return files


def manage(server_env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *map(str, args)],
        env=server_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def login(url: str, user: str, password: str) -> int:
    return requests.post(
        f"{url}/+login", json={"user": user, "password": password}, headers=JSON, timeout=60
    ).status_code


def test_devpi_server_export_into_devpi_django_and_back(devpi_bin, tmp_path):
    env = client_env(tmp_path / "home", DEVPI_CLIENTDIR=str(tmp_path / "devpi-client"))
    upstream = start_upstream(tmp_path / "upstream")
    upstream.add("upstreamdep", "1.0")
    old = DevpiServer(devpi_bin, tmp_path / "old-server", env)
    new = DevpiServer(devpi_bin, tmp_path / "new-server", env)
    django, cleanup = start_server()
    try:
        # -- a devpi-server in use, exported with its own tool ---------------------------
        old.tool("devpi-init", "--no-root-pypi", "--root-passwd", PASSWORDS["root"])
        old.start()
        files = fill_devpi_server(old, upstream.url, env, tmp_path / "dist")
        old.stop()
        export = tmp_path / "devpi-export"
        old.tool("devpi-export", export)
        assert (export / "dataindex.json").is_file()

        # -- into devpi-django ------------------------------------------------------------
        not_an_export = manage(django.env, "devpi", "import", tmp_path / "dist")
        assert not_an_export.returncode != 0
        assert "is not a devpi export" in not_an_export.stderr
        assert "Traceback" not in not_an_export.stderr
        first = manage(django.env, "devpi", "import", export)
        assert first.returncode == 0, first.stdout + first.stderr
        out = first.stdout
        assert "users: 3 created, 1 updated" in out, out  # root: fresh server
        assert "release files: 4 created" in out, out
        assert "tox results: 1 created" in out and "doc zips: 1 created" in out, out
        assert "skipped" not in out, out
        second = manage(django.env, "devpi", "import", export)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "nothing changed: everything in the export was already here" in second.stdout

        # the users log in with their old passwords
        for user in ("root", "packages", "alice"):
            assert login(django.url, user, PASSWORDS[user]) == 200, user
        assert login(django.url, "alice", "wrong") == 401

        # pip gets the very same files, hash-checked against the originals
        pip_env = client_env(tmp_path / "pip-home")
        for index, wanted in (("stable", "simpy==1.0"), ("develop", "simpy==1.1.dev1")):
            wheel = [f for f in files[index] if f.suffix == ".whl"][0]
            requirements = tmp_path / f"req-{index}.txt"
            requirements.write_text(
                f"{wanted} --hash=sha256:{sha256_of(wheel)}\n"
                f"upstreamdep==1.0 --hash=sha256:"
                f"{sha256_of(upstream.projects['upstreamdep'][0])}\n"
            )
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--require-hashes",
                    "--only-binary",
                    ":all:",
                    "--target",
                    tmp_path / f"site-{index}",
                    "-r",
                    requirements,
                    "--index-url",
                    f"{django.url}/packages/{index}/+simple/",
                ],
                pip_env,
            )
            assert (tmp_path / f"site-{index}" / "simpy" / "__init__.py").is_file()
        page = requests.get(
            f"{django.url}/packages/staging/+simple/simpy/",
            timeout=30,
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        ).json()
        served = {f["filename"]: f["hashes"]["sha256"] for f in page["files"]}
        originals = files["stable"] + files["staging"]
        assert served == {f.name: sha256_of(f) for f in originals}
        for f in originals:
            url = f"{django.url}/packages/staging/+simple/simpy/"
            (link,) = [x["url"] for x in page["files"] if x["filename"] == f.name]
            body = requests.get(requests.compat.urljoin(url, link), timeout=30).content
            assert sha256_of(body) == sha256_of(f)

        # indexes keep their config; the tox report and the docs came along
        stable = django.api("GET", "/packages/stable").json()["result"]
        assert stable["bases"] == ["root/pypi"] and stable["volatile"] is False
        assert stable["title"] == "Our private stable packages"
        develop = django.api("GET", "/packages/develop").json()["result"]
        assert develop["acl_upload"] == ["packages", "alice"]
        pypi = django.api("GET", "/root/pypi").json()["result"]
        assert pypi["type"] == "mirror" and pypi["mirror_url"] == upstream.url
        version = django.api("GET", "/packages/stable/simpy/1.0").json()["result"]
        (tox_link,) = [x for x in version["+links"] if x["rel"] == "toxresult"]
        wheel = files["stable"][0]
        assert tox_link["for_href"].endswith(f"/{wheel.name}")
        assert tox_link["href"].split("/")[-1].startswith(f"{wheel.name}.toxresult-")
        assert requests.get(tox_link["href"], timeout=30).json() == TOX_REPORT
        (doc_link,) = [x for x in version["+links"] if x["rel"] == "doczip"]
        assert doc_link["href"].endswith("/simpy-1.0.doc.zip")
        with zipfile.ZipFile(io.BytesIO(requests.get(doc_link["href"], timeout=30).content)) as zf:
            assert b"simpy documentation" in zf.read("index.html")

        # a user made here, and one whose hash devpi-server cannot verify (PBKDF2, as an
        # older deployment of devpi-django wrote them)
        assert django.api("PUT", "/dora", {"password": "dora-pw"}).status_code == 201
        assert login(django.url, "dora", "dora-pw") == 200
        assert django.api("PUT", "/erin", {"password": "erin-pw"}).status_code == 201
        shell = manage(
            django.env,
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model; "
                "from django.contrib.auth.hashers import make_password; "
                "get_user_model().objects.filter(username='erin').update("
                "password=make_password('erin-pw', hasher='pbkdf2_sha256'))"
            ),
        )
        assert shell.returncode == 0, shell.stderr

        # -- back out of devpi-django, into a fresh devpi-server ------------------------------
        back = tmp_path / "django-export"
        exported = manage(django.env, "devpi", "export", back)
        assert exported.returncode == 0, exported.stdout + exported.stderr
        assert "release files: 4" in exported.stdout
        assert "tox results: 1" in exported.stdout and "doc zips: 1" in exported.stdout
        # logging in here kept devpi's argon2 hashes (argon2 comes first here too); only
        # erin's cannot go back: a random argon2 hash, and the report names her
        assert "user erin: password hash scheme 'pbkdf2_sha256'" in exported.stdout
        assert "devpi-passwd" in exported.stdout
        for user in ("root", "packages", "alice", "carol", "dora"):
            assert f"user {user}:" not in exported.stdout, exported.stdout
        exported_users = json.loads((back / "dataindex.json").read_text())["users"]
        assert all(u.get("pwhash", "").startswith("$argon2") for u in exported_users.values())
        new.tool("devpi-import", "--no-root-pypi", back)
        new.start()
        users = new.get("/")
        assert {"root", "packages", "alice", "carol", "dora", "erin"} <= set(users)
        assert users["carol"]["title"] == "Carol"
        assert users["packages"]["email"] == "packaging@company.com"
        # every user keeps their password on the restored devpi-server; nobody gets in with
        # an empty one (devpi-import gives a user without a hash an empty password)
        for user, password in {**PASSWORDS, "dora": "dora-pw"}.items():
            assert login(new.url, user, password) == 200, user
        for user in users:
            assert login(new.url, user, "") == 401, user
        assert login(new.url, "erin", "erin-pw") == 401  # until devpi-passwd erin
        for name, config in (("stable", stable), ("develop", develop)):
            there = new.get(f"/packages/{name}")
            for key in (
                "bases",
                "volatile",
                "acl_upload",
                "acl_toxresult_upload",
                "mirror_whitelist",
            ):
                assert there[key] == config[key], (name, key)
            assert there["projects"] == ["simpy"]
        for index, version_name in (
            ("stable", "1.0"),
            ("staging", "1.1rc1"),
            ("develop", "1.1.dev1"),
        ):
            data = new.get(f"/packages/{index}/simpy/{version_name}")
            links = {
                x["href"].rsplit("/", 1)[1]: x for x in data["+links"] if x["rel"] == "releasefile"
            }
            assert {name: x["hashes"]["sha256"] for name, x in links.items()} == {
                f.name: sha256_of(f) for f in files[index]
            }
            for name, x in links.items():
                body = requests.get(x["href"], timeout=30).content
                assert sha256_of(body) == links[name]["hashes"]["sha256"]
            if index == "stable":
                (tox_link,) = [x for x in data["+links"] if x["rel"] == "toxresult"]
                assert requests.get(tox_link["href"], timeout=30).json() == TOX_REPORT
                assert [x["rel"] for x in data["+links"]].count("doczip") == 1
    finally:
        new.stop()
        old.stop()
        cleanup()
        upstream.stop()
