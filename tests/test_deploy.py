"""The files of deploy/: the systemd units pass ``systemd-analyze verify``,
the environment template names only variables the code reads, and the nginx
site serves a real gunicorn to twine and pip (X-Accel-Redirect, upload size,
X-Outside-Url, request ids)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest
import requests

from .clients import pip_download, twine
from .factories import make_wheel
from .live import REPO, VENV_BIN, start_server
from .nginx import DEPLOY, start_nginx

PY = sys.executable
UNITS = ("devpi-django.service", "devpi-django-worker.service", "devpi-django-beat.service")


def env_template_names() -> set[str]:
    names = set()
    for line in (DEPLOY / "devpi-django.env").read_text().splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_env_template_names_only_known_variables():
    names = env_template_names()
    env_py = (REPO / "devpi_django" / "env.py").read_text()
    readme = (REPO / "README.md").read_text()
    aws = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}  # boto3 reads these
    assert {"DEVPI_DATA_DIR", "DATABASE_URL", "DEVPI_STORAGE", "REDIS_URL"} <= names
    for name in names - aws:
        assert f'"{name}"' in env_py, f"{name} is not read by devpi_django/env.py"
        assert f"`{name}`" in readme, f"{name} is not in the README's table"


def test_web_concurrency_defaults_to_the_usable_cpus(monkeypatch):
    """One gunicorn worker per CPU the process may run on, never fewer than 2."""
    from devpi_django import env

    monkeypatch.setattr(env.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert env.default_web_concurrency() == 3
    monkeypatch.setattr(env.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert env.default_web_concurrency() == 2
    monkeypatch.delattr(env.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(env.os, "cpu_count", lambda: 6)
    assert env.default_web_concurrency() == 6


def test_worker_warm_up_loads_the_url_conf_without_touching_the_database(tmp_path):
    """gunicorn_conf's post_worker_init, as in a fresh worker that has loaded
    the application: afterwards the URL conf and the views are imported, and
    no database connection was opened (the request threads open their own)."""
    code = """
import sys
from devpi_django.wsgi import application
from django.db import connection
modules = ("devpi_django.urls", "indexes.urls", "indexes.views.api", "ops.urls")
assert not any(m in sys.modules for m in modules)
from devpi_django import gunicorn_conf
gunicorn_conf.post_worker_init(None)
assert all(m in sys.modules for m in modules)
assert connection.connection is None
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVPI_")}
    env.update(DEVPI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="devpi_django.settings")
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [PY, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    """Installed as docs/deploy.md says, with /opt/devpi-django being this
    checkout (its .venv) and the environment template in place."""
    env_file = tmp_path / "devpi-django.env"
    shutil.copy(DEPLOY / "devpi-django.env", env_file)
    venv = VENV_BIN.parent
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "EnvironmentFile=/etc/devpi-django/devpi-django.env" in text
        assert "/opt/devpi-django/.venv/bin/" in text
        text = (
            text.replace("/opt/devpi-django/.venv", str(venv))
            .replace("/opt/devpi-django", str(REPO))
            .replace("/etc/devpi-django/devpi-django.env", str(env_file))
        )
        (tmp_path / unit).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / unit) for unit in UNITS]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ours = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if any(unit in line for unit in UNITS)
    ]
    assert ours == []
    # the commands the units run exist and accept their arguments
    beat = subprocess.run(
        [str(venv / "bin" / "celery"), "-A", "devpi_django", "beat", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert beat.returncode == 0 and "--schedule" in beat.stdout
    # a broken unit is caught: the check checks
    broken = tmp_path / "devpi-django-worker.service"
    broken.write_text(
        broken.read_text().replace(
            str(venv / "bin" / "celery"), str(tmp_path / "missing" / "celery")
        )
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0


@pytest.fixture
def behind_nginx(tmp_path):
    server, cleanup = start_server(
        workers=2, extra_env={"DEVPI_FILE_SERVING": "x-accel-redirect", "DEVPI_LOG_FORMAT": "json"}
    )
    nginx = None
    try:
        nginx = start_nginx(
            tmp_path / "nginx",
            [server.url.removeprefix("http://")],
            server.data_dir / "files",
            max_body="2m",
        )
        yield server, nginx
    finally:
        if nginx is not None:
            nginx.stop()
        cleanup()


@pytest.mark.live
def test_nginx_site_serves_twine_and_pip(behind_nginx, tmp_path, clients_env, unique):
    server, nginx = behind_nginx
    server.create_user(f"ng{unique}")
    server.create_index(f"ng{unique}", "dev")
    user = f"ng{unique}"
    # devpi's absolute URLs name nginx, not the app server (X-Outside-Url)
    api = requests.get(
        f"{nginx.url}/{user}/dev/+api", headers={"Accept": "application/json"}, timeout=30
    ).json()["result"]
    assert api["index"] == f"{nginx.url}/{user}/dev"
    wheel = make_wheel(tmp_path / "dist", f"ng-{unique}", "1.0")
    done = twine(clients_env, f"{nginx.url}/{user}/dev/", [wheel], user, "secret", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    dest = tmp_path / "dl"
    done = pip_download(
        clients_env, f"{nginx.url}/{user}/dev/+simple/", f"ng-{unique}", dest=dest, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (dest / wheel.name).read_bytes() == wheel.read_bytes()
    # the app hands the file to nginx; nginx sends the bytes
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    path = f"/{user}/dev/+f/{sha[:3]}/{sha[3:16]}/{wheel.name}"
    direct = requests.get(server.url + path, timeout=30)
    assert direct.headers["X-Accel-Redirect"].startswith("/+blobs/") and direct.content == b""
    proxied = requests.get(nginx.url + path, timeout=30)
    assert proxied.status_code == 200 and proxied.content == wheel.read_bytes()
    assert "X-Accel-Redirect" not in proxied.headers
    assert proxied.headers["ETag"] == direct.headers["ETag"]
    ranged = requests.get(nginx.url + path, headers={"Range": "bytes=0-9"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == wheel.read_bytes()[:10]
    # the internal location is not reachable from outside
    assert (
        requests.get(nginx.url + direct.headers["X-Accel-Redirect"], timeout=30).status_code == 404
    )
    # beyond the upload size nginx refuses, and nothing is stored
    big = make_wheel(
        tmp_path / "big",
        f"ng-{unique}",
        "2.0",
        payload=f"X = {os.urandom(3 * 1024 * 1024).hex()!r}\n",
    )
    assert big.stat().st_size > 2 * 1024 * 1024
    done = subprocess.run(
        [
            PY,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            f"{nginx.url}/{user}/dev/",
            "-u",
            user,
            "-p",
            "secret",
            str(big),
        ],
        env=clients_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "413" in done.stdout + done.stderr
    listing = server.api("GET", f"/{user}/dev/ng-{unique}").json()["result"]
    assert list(listing) == ["1.0"]
    # request ids: the client's passes through, else nginx makes one
    r = requests.get(
        f"{nginx.url}/+health/live", headers={"X-Request-ID": f"id-{unique}"}, timeout=30
    )
    assert r.headers["X-Request-ID"] == f"id-{unique}"
    made = requests.get(f"{nginx.url}/+health/live", timeout=30).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert f'"request_id": "{made}"' in server.log()
    # metrics through nginx from loopback: allowed, and the traffic is counted
    metrics = requests.get(f"{nginx.url}/+metrics", timeout=30)
    assert metrics.status_code == 200
    assert 'devpi_http_requests_total{method="GET",route="file",status="200"}' in metrics.text
