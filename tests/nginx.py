"""The nginx site of deploy/nginx, rendered as docs/deploy.md says (envsubst
semantics) and run as a process of the test on a free loopback port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from .live import REPO, free_port

DEPLOY = REPO / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_VARIABLES = ("LISTEN", "SERVER_NAME", "APP_SERVERS", "FILES_DIR", "MAX_BODY", "S3_ORIGIN")


def render_site(**values: str) -> str:
    """What ``envsubst '$LISTEN $SERVER_NAME ...'`` makes of the template:
    only the named ``${VAR}``s are replaced; nginx's ``$variables`` stay."""
    assert set(values) == set(SITE_VARIABLES), values
    text = (DEPLOY / "nginx" / "devpi-django.conf.template").read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{\w+\}", text)
    assert not left, left
    return text


@dataclass
class Nginx:
    url: str
    prefix: Path
    process: subprocess.Popen

    def log(self) -> str:
        return "".join(
            (self.prefix / name).read_text(errors="replace")
            for name in ("error.log", "access.log")
            if (self.prefix / name).exists()
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful, then the workers go
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_nginx(
    prefix: Path,
    app_servers: list[str],
    files_dir: Path | str,
    max_body: str = "1024m",
    s3_origin: str = "http://127.0.0.1:9/unused",
) -> Nginx:
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (prefix / "site.conf").write_text(
        render_site(
            LISTEN=f"127.0.0.1:{port}",
            SERVER_NAME="localhost",
            APP_SERVERS=" ".join(f"server {s};" for s in app_servers),
            FILES_DIR=str(files_dir),
            MAX_BODY=max_body,
            S3_ORIGIN=s3_origin,
        )
    )
    shutil.copy(DEPLOY / "nginx" / "nginx.conf", prefix / "nginx.conf")
    directives = "daemon off;"
    if os.getuid() == 0:  # workers must read the tests' 0700 data dirs
        directives += " user root;"
    check = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log", "-g", directives],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log", "-g", directives],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = Nginx(url=f"http://127.0.0.1:{port}", prefix=prefix, process=process)
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{nginx.url}/+health/live", timeout=2)
            return nginx
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                nginx.stop()
                raise RuntimeError(f"nginx did not start:\n{nginx.log()}") from None
            time.sleep(0.1)
