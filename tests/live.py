"""A real devpi-django server (gunicorn) in a subprocess, on a free port of
127.0.0.1, with its own data dir and database, plus the environment that
keeps real clients (pip, uv, twine) on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ROOT_PASSWORD = "root-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_env(home: Path, **extra) -> dict[str, str]:
    """Environment for client subprocesses: no user or machine config, no
    index but the ones a test names, nothing interactive."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "TWINE_", "DEVPI_", "DATABASE_URL"))
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INPUT": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_CACHE_DIR": "1",
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": str(home / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "XDG_CONFIG_HOME": str(home / ".config"),
            "NO_COLOR": "1",
            "COLUMNS": "400",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    env.update(extra)
    return env


def _database_for_server() -> tuple[str | None, Callable[[], None]]:
    """A fresh database when the suite runs on PostgreSQL; SQLite otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None, lambda: None
    return create_postgres_database(url, f"devpi_live_{uuid.uuid4().hex[:12]}")


def create_postgres_database(server_url: str, name: str) -> tuple[str, Callable[[], None]]:
    """A new database ``name`` on the PostgreSQL server of ``server_url``
    (any database URL of it): its URL, and a function that drops it."""
    import psycopg

    base = server_url.rpartition("/")[0]
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path
    env: dict = field(default_factory=dict)
    _tokens: dict = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # -- API helpers ------------------------------------------------------
    def token(self, user: str, password: str) -> str:
        key = (user, password)
        if key not in self._tokens:
            r = requests.post(
                f"{self.url}/+login", json={"user": user, "password": password}, timeout=30
            )
            r.raise_for_status()
            self._tokens[key] = r.json()["result"]["password"]
        return self._tokens[key]

    def auth_headers(self, user: str, password: str) -> dict:
        pair = f"{user}:{self.token(user, password)}".encode()
        return {"X-Devpi-Auth": base64.b64encode(pair).decode()}

    def api(
        self,
        method: str,
        path: str,
        body=None,
        *,
        auth: tuple[str, str] | None = None,
        headers: dict | None = None,
    ) -> requests.Response:
        all_headers = {"Accept": "application/json"}
        if auth:
            all_headers.update(self.auth_headers(*auth))
        all_headers.update(headers or {})
        data = None if body is None else json.dumps(body)
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        return requests.request(
            method, f"{self.url}/{path.lstrip('/')}", data=data, headers=all_headers, timeout=60
        )

    def create_user(self, name: str, password: str = "secret") -> None:
        r = self.api("PUT", f"/{name}", {"password": password, "email": f"{name}@example.com"})
        assert r.status_code == 201, r.text

    def create_index(self, user: str, name: str, password: str = "secret", **config) -> dict:
        r = self.api("PUT", f"/{user}/{name}", config, auth=(user, password))
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def create_mirror_user(
        self, user: str, upstream_url: str, *, mirror: str = "upstream", expiry: int = 3600
    ) -> None:
        """``user`` with a mirror index of ``upstream_url`` and ``dev`` over it."""
        self.create_user(user)
        self.create_index(
            user, mirror, type="mirror", mirror_url=upstream_url, mirror_cache_expiry=expiry
        )
        self.create_index(user, "dev", bases=f"{user}/{mirror}")

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process we started: ``sig``, then a kill if it has not ended in time."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_server(
    workers: int | None = 2, extra_env: dict | None = None
) -> tuple[LiveServer, Callable[[], None]]:
    """devpi-django under gunicorn on a free port of 127.0.0.1, with a fresh
    data dir and database; ``workers=None``: DEVPI_WEB_CONCURRENCY's default."""
    data_dir = Path(tempfile.mkdtemp(prefix="devpi-live-"))
    port = free_port()
    database_url, drop_database = _database_for_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVPI_", "PIP_INDEX"))}
    env.update(
        {
            "DEVPI_DATA_DIR": str(data_dir),
            "DEVPI_HOST": "127.0.0.1",
            "DEVPI_PORT": str(port),
            "DEVPI_ROOT_PASSWORD": ROOT_PASSWORD,
            "DEVPI_MIRROR_URL": "http://127.0.0.1:9/simple/",  # nothing listens there
            # the local upstreams of the tests; 127.0.0.2 (attack tests) stays refused
            "DEVPI_ALLOW_PRIVATE_UPSTREAMS": "127.0.0.1,localhost,::1",
            "DJANGO_SETTINGS_MODULE": "devpi_django.settings",
        }
    )
    if workers is not None:
        env["DEVPI_WEB_CONCURRENCY"] = str(workers)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    env.update(extra_env or {})
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run(manage + ["migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)
    subprocess.run(
        manage + ["devpi_init"], env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL
    )
    log_path = data_dir / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(REPO / "devpi_django" / "gunicorn_conf.py"),
            "devpi_django.wsgi",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        process=process,
        log_path=log_path,
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            # 301: DEVPI_HTTPS=1 sends plain requests to https
            if requests.get(f"{server.url}/+api", timeout=2, allow_redirects=False).status_code in (
                200,
                301,
            ):
                break
        except requests.RequestException:  # not listening yet, or slow to answer
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"devpi-django did not start:\n{server.log()}")
        time.sleep(0.2)

    def cleanup():
        server.stop()
        log.close()
        drop_database()
        shutil.rmtree(data_dir, ignore_errors=True)

    return server, cleanup
