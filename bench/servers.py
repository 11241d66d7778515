"""The processes the benchmark starts, all on 127.0.0.1 and stopped by PID:
devpi-server (from its own venv), devpi-django (``tests.live.start_server``),
the bare Django view and nginx."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import requests

from tests.live import REPO, VENV_BIN, LiveServer, free_port, start_server

ROOT_PASSWORD = "root-secret"
LOCAL_ENV = {
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    # the benchmark's upstream is on loopback: let the egress guard reach it
    "DEVPI_ALLOW_PRIVATE_UPSTREAMS": "127.0.0.1,localhost,::1",
}


class StartError(RuntimeError):
    """A server could not be set up or started."""


class BenchServer(Protocol):
    """What the measurements use of a server under test (devpi-django or
    devpi-server)."""

    @property
    def url(self) -> str: ...

    @property
    def pid(self) -> int: ...

    @property
    def data_dir(self) -> Path: ...

    def stop(self) -> None: ...


def _clean_env(**extra) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEVPI_", "PIP_INDEX", "DATABASE_URL"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(LOCAL_ENV)
    env.update(extra)
    return env


def wait_until_up(
    url: str, process: subprocess.Popen, log: Path, what: str, timeout: float = 90, ok=(200,)
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code in ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise StartError(f"{what} did not start (exit {process.poll()}):\n{tail}")
        time.sleep(0.2)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process we started (gunicorn and nginx stop their own
    workers on it), SIGKILL after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- devpi-server ---------------------------------------------------------


def install_devpi_server(venv: Path, log) -> str:
    """A venv with the current devpi-server release from the package
    registry (pip's ordinary configuration); its version."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True, stdout=log, stderr=log)
    proc = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--upgrade",
            "--quiet",
            "--disable-pip-version-check",
            "devpi-server",
        ],
        stdout=log,
        stderr=log,
    )
    if proc.returncode != 0:
        raise StartError(
            f"pip install devpi-server failed (exit {proc.returncode}), see {log.name}"
        )
    out = subprocess.run(
        [str(venv / "bin" / "devpi-server"), "--version"], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise StartError(f"devpi-server --version failed: {out.stderr}")
    return out.stdout.strip().splitlines()[-1]


@dataclass
class DevpiServer:
    url: str
    serverdir: Path
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def data_dir(self) -> Path:
        return self.serverdir

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


def start_devpi_server(
    venv: Path, workdir: Path, name: str = "devpi-server", extra_args: tuple[str, ...] = ()
) -> DevpiServer:
    """``devpi-init --no-root-pypi`` (never the default mirror of the public
    index), then ``devpi-server`` on 127.0.0.1 with its defaults otherwise
    (plus ``extra_args``). ``name`` names its data directory and log. The
    caller creates root/pypi through the JSON API."""
    serverdir = workdir / f"{name}-data"
    if serverdir.exists():
        shutil.rmtree(serverdir)
    home = workdir / f"{name}-home"
    home.mkdir(parents=True, exist_ok=True)
    env = _clean_env(HOME=str(home))
    log_path = workdir / f"{name}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.run(
            [
                str(venv / "bin" / "devpi-init"),
                "--serverdir",
                str(serverdir),
                "--no-root-pypi",
                "--root-passwd",
                ROOT_PASSWORD,
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
    if proc.returncode != 0:
        raise StartError(f"devpi-init failed (exit {proc.returncode}), see {log_path}")
    port = free_port()
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [
            str(venv / "bin" / "devpi-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--serverdir",
            str(serverdir),
            *extra_args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    log.close()
    server = DevpiServer(f"http://127.0.0.1:{port}", serverdir, process, log_path)
    wait_until_up(f"{server.url}/+api", process, log_path, "devpi-server")
    return server


# -- devpi-django ---------------------------------------------------------


@dataclass
class OurServer:
    live: LiveServer
    cleanup: Callable[[], None]

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def pid(self) -> int:
        return self.live.process.pid

    @property
    def data_dir(self) -> Path:
        return self.live.data_dir

    @property
    def env(self) -> dict:
        return self.live.env

    def stop(self) -> None:
        self.cleanup()


def start_devpi_django(mirror_url: str, workers: int | None = None) -> OurServer:
    """gunicorn with ``workers`` processes, by default DEVPI_WEB_CONCURRENCY's
    (one per usable CPU, at least 2); root/pypi's upstream is the local
    upstream index."""
    try:
        live, cleanup = start_server(
            workers=workers, extra_env={"DEVPI_MIRROR_URL": mirror_url, **LOCAL_ENV}
        )
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        raise StartError(f"devpi-django did not start: {exc}") from exc
    return OurServer(live, cleanup)


def manage(server: OurServer, *args: str, log=None) -> subprocess.CompletedProcess:
    """``manage.py`` on the running server's database and data dir."""
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=server.env,
        cwd=REPO,
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=log is None,
    )


# -- the limits: bare Django view, nginx ----------------------------------


@dataclass
class SimpleProcess:
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


def start_bare_django(pages: Path, workdir: Path, workers: int | None = None) -> SimpleProcess:
    """The bare view under devpi-django's gunicorn settings, with as many
    workers as devpi-django (by default DEVPI_WEB_CONCURRENCY's)."""
    port = free_port()
    env = _clean_env(
        DEVPI_HOST="127.0.0.1",
        DEVPI_PORT=str(port),
        DEVPI_DATA_DIR=str(workdir / "bare-data"),
        DJANGO_SETTINGS_MODULE="bench.bare_app",
        BENCH_BARE_PAGES=str(pages),
    )
    if workers is not None:
        env["DEVPI_WEB_CONCURRENCY"] = str(workers)
    log_path = workdir / "bare-django.log"
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(REPO / "devpi_django" / "gunicorn_conf.py"),
            "bench.bare_app:application",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    first = sorted(p.name for p in pages.iterdir())[0]
    server = SimpleProcess(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_up(f"{server.url}/{first}", process, log_path, "bare Django view")
    return server


NGINX_CONF = """\
{user}worker_processes auto;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    types {{
        text/html html;
        application/vnd.pypi.simple.v1+json json;
    }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def start_nginx(pages: Path, workdir: Path) -> SimpleProcess:
    binary = nginx_binary()
    if binary is None:
        raise StartError("nginx is not installed")
    prefix = workdir / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    # as root, nginx's workers would drop to "nobody", who may not read build/
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(user=user, prefix=prefix, port=port, root=pages))
    log_path = prefix / "nginx.log"
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=prefix,
    )
    log.close()
    first = sorted(p.name for p in pages.iterdir())[0]
    server = SimpleProcess(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_up(f"{server.url}/{first}", process, log_path, "nginx", timeout=20)
    return server


_T = TypeVar("_T")


@dataclass
class Started:
    """Every process the run started, stopped in reverse order."""

    items: list = field(default_factory=list)

    def add(self, item: _T) -> _T:
        self.items.append(item)
        return item

    def stop_all(self) -> None:
        while self.items:
            item = self.items.pop()
            try:
                item.stop()
            except Exception as exc:  # keep stopping the others
                print(f"bench: stopping {item!r} failed: {exc}", file=sys.stderr)
