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


def _access_lines(logger_class, access_log_format: str | None = None) -> list[str]:
    """The access lines ``logger_class`` writes for a few requests."""
    import datetime
    import io
    import logging

    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")  # on; the handler is replaced below
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    logger = logger_class(cfg)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.access_log.handlers = [handler]
    logger.access_log.setLevel(logging.INFO)
    logger.access_log.propagate = False

    class Response:
        def __init__(self, status, sent, headers):
            self.status, self.sent, self.headers = status, sent, headers

    class Request:
        headers = [("HOST", "127.0.0.1:3141"), ("USER-AGENT", 'pip/26.3 "x"')]

    cases = [
        (
            {"REQUEST_METHOD": "GET", "RAW_URI": "/root/pypi/+simple/a/", "PATH_INFO": "/a/"},
            "200 OK",
            812,
        ),
        (
            {
                "REQUEST_METHOD": "POST",
                "RAW_URI": "/user/dev/?x=1",
                "PATH_INFO": "/user/dev/",
                "QUERY_STRING": "x=1",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_AUTHORIZATION": "Basic dXNlcjpzZWNyZXQ=",  # user:secret
                "HTTP_REFERER": "http://127.0.0.1/x",
                "HTTP_USER_AGENT": 'twine/6 "quoted"',
                "HTTP_X_OTHER": "v",
            },
            "403 Forbidden",
            None,
        ),
        ({"REQUEST_METHOD": "HEAD", "RAW_URI": "/", "HTTP_AUTHORIZATION": "Basic !!"}, 404, 0),
    ]
    for environ, status, sent in cases:
        environ = {"SERVER_PROTOCOL": "HTTP/1.0", **environ}
        response = Response(status, sent, [("Content-Type", "text/html"), ("X-Request-ID", "r1")])
        logger.access(response, Request(), environ, datetime.timedelta(seconds=1, microseconds=5))
    # the time stamp (%(t)s) aside
    stamp = re.compile(r"\[\d+/\w+/\d+:[\d:]+ [+-]\d+\]")
    return [stamp.sub("[t]", line) for line in out.getvalue().splitlines()]


def test_access_log_lines_are_gunicorns():
    """devpi_django.gunicorn_logging.AccessLogger writes gunicorn's own access
    line (the time stamp aside), for its default format without the atoms it
    does not print, and for a format naming header and environ atoms."""
    from gunicorn.glogging import Logger

    from devpi_django.gunicorn_logging import AccessLogger

    ours = _access_lines(AccessLogger)
    assert ours == _access_lines(Logger)
    assert len(ours) == 3 and "user" in _access_lines(AccessLogger, "%(u)s %(r)s")[1]
    wide = '%(h)s %({x-request-id}o)s %({user-agent}i)s %({http_x_other}e)s "%(r)s" %(D)s %(p)s'
    assert _access_lines(AccessLogger, wide) == _access_lines(Logger, wide)
    assert "r1" in _access_lines(AccessLogger, wide)[0]


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
