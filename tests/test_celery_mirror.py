"""A real Celery worker on the local Redis runs the mirror's refresh and
prefetch tasks against a live server's database; root/pypi is pointed at a
local upstream and then used offline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
from celery import Celery

from .live import REPO, ROOT_PASSWORD, VENV_BIN, stop_process

pytestmark = pytest.mark.live
REDIS_URL = os.environ.get("DEVPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def index_id(server, fullname: str) -> int:
    user, name = fullname.split("/")
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            (
                "from indexes.models import Index; "
                f"print(Index.objects.get(owner__username={user!r}, name={name!r}).id)"
            ),
        ],
        env=server.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def worker(live_server_proc, tmp_path):
    queue = f"devpi-test-{uuid.uuid4().hex[:8]}"
    env = dict(live_server_proc.env, CELERY_BROKER_URL=REDIS_URL)
    log = open(tmp_path / "worker.log", "wb")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "devpi_django",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app = Celery(broker=REDIS_URL)
    try:
        yield app, queue, proc
    finally:
        stop_process(proc)
        log.close()


def wait_for(predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_worker_prefetches_and_refreshes_root_pypi(
    live_server_proc, worker, tmp_path, unique, clients_env
):
    from .upstream import start_upstream

    app, queue, proc = worker
    s = live_server_proc
    upstream = start_upstream(tmp_path / "upstream")
    try:
        name = f"celery-{unique}"
        wheel = upstream.add(name, "1.0")
        r = s.api(
            "PATCH",
            "/root/pypi",
            {"mirror_url": upstream.url, "mirror_cache_expiry": 3600},
            auth=("root", ROOT_PASSWORD),
        )
        assert r.status_code == 200, r.text
        pypi_id = index_id(s, "root/pypi")
        app.send_task("mirror.tasks.mirror_prefetch", args=[pypi_id, [f"{name}==1.0"]], queue=queue)
        wait_for(lambda: upstream.hits(f"GET /files/{wheel.name}") == 1, "the prefetch")
        # the file is cached once the worker committed it
        wait_for(
            lambda: (
                s.api("GET", "/+status").json()["result"]["mirrors"]["root/pypi"]["cached_files"]
                >= 1
            ),
            "the cached file",
        )
        # a new upstream release shows up after a refresh task, before the expiry
        newer = upstream.add(name, "2.0")
        page = requests.get(f"{s.url}/root/pypi/+simple/{name}/", timeout=30).text
        assert newer.name not in page
        app.send_task("mirror.tasks.mirror_refresh_project", args=[pypi_id, name], queue=queue)
        wait_for(
            lambda: (
                newer.name in requests.get(f"{s.url}/root/pypi/+simple/{name}/", timeout=30).text
            ),
            "the refresh",
        )
        # offline: the prefetched file installs through root/pypi and a stage over it
        upstream.stop()
        s.create_user(f"cel{unique}")
        s.create_index(f"cel{unique}", "dev", bases="root/pypi")
        for index in ("root/pypi", f"cel{unique}/dev"):
            dest = tmp_path / index.replace("/", "_")
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-d",
                    str(dest),
                    "-i",
                    f"{s.url}/{index}/+simple/",
                    f"{name}==1.0",
                ],
                env=clients_env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert (dest / wheel.name).read_bytes() == wheel.read_bytes()
        assert proc.poll() is None, "the worker died"
    finally:
        upstream.stop()
        s.api(
            "PATCH",
            "/root/pypi",
            {"mirror_url": "http://127.0.0.1:9/simple/"},
            auth=("root", ROOT_PASSWORD),
        )
